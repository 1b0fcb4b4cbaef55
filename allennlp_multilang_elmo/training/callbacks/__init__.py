from allennlp_multilang_elmo.training.callbacks.elmo_files_in_archive import (
    ElmoFilesInArchiveCallback,
)
from allennlp_multilang_elmo.training.callbacks.exact_resume import ExactResumeCallback
from allennlp_multilang_elmo.training.callbacks.reader_pass_per_epoch import (
    ReaderPassPerEpochCallback,
)
