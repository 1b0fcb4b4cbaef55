import logging
from typing import Any, Dict

from allennlp.training.callbacks.callback import TrainerCallback

from allennlp_multilang_elmo.modules.elmo_archive_files import ARCHIVE_FOLDER, copy_elmo_files

logger = logging.getLogger(__name__)


@TrainerCallback.register("elmo_files_in_archive")
class ElmoFilesInArchiveCallback(TrainerCallback):
    """
    Copies every language's ELMo options, weight and alignment files into the serialization
    folder's `elmo_files/` when training starts, so that the archive (with
    `include_in_archive: ["elmo_files"]` in the config) carries them exactly once and loads from any
    folder (see `allennlp_multilang_elmo.modules.elmo_archive_files`).

    Registered as a `TrainerCallback` with name "elmo_files_in_archive".
    """

    def on_start(self, trainer: Any, is_primary: bool = True, **kwargs: Dict[str, Any]) -> None:
        if is_primary:
            copied = copy_elmo_files(trainer.model, self.serialization_dir)
            logger.info(
                "%d ELMo files copied into %s/%s", copied, self.serialization_dir, ARCHIVE_FOLDER
            )
