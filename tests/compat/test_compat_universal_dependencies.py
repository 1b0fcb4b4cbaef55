import pathlib

import pytest
import spacy
from allennlp.common import Params
from allennlp.common.testing import AllenNlpTestCase
from allennlp.data import DatasetReader, Vocabulary
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.data.data_loaders.multiprocess_data_loader import WorkerError
from allennlp.data.token_indexers import SingleIdTokenIndexer
from allennlp.models import Model
from allennlp_models.structured_prediction.dataset_readers.universal_dependencies import (
    UniversalDependenciesDatasetReader,
)
from allennlp_models.structured_prediction.predictors.biaffine_dependency_parser import (
    BiaffineDependencyParserPredictor,
)

from allennlp_multilang_elmo.compat import universal_dependencies
from allennlp_multilang_elmo.compat._patching import unpatched

TRAIN = pathlib.Path(__file__).parents[1] / "fixtures" / "stack" / "en_train.conllu"
READER_METHODS = ("text_to_instance", "apply_token_indexers")
PREDICTOR_METHODS = ("predict_instance", "predict_batch_instance")


def _reader() -> UniversalDependenciesDatasetReader:
    return UniversalDependenciesDatasetReader(token_indexers={"tokens": SingleIdTokenIndexer()})


def _worker_loader(reader: UniversalDependenciesDatasetReader) -> MultiProcessDataLoader:
    # A loader reads everything as soon as it is built, here with one (forked) worker.
    return MultiProcessDataLoader(reader, str(TRAIN), batch_size=4, num_workers=1)


class TestUniversalDependenciesPatch(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        universal_dependencies.apply()

    def test_registered_name_is_the_patched_stock_class(self):
        assert DatasetReader.by_name("universal_dependencies") is UniversalDependenciesDatasetReader

    def test_stock_reader_fails_in_data_loader_workers(self):
        with unpatched(UniversalDependenciesDatasetReader, *READER_METHODS):
            with pytest.raises(WorkerError, match="token_indexers already"):
                _worker_loader(_reader())

    def test_reader_works_in_data_loader_workers(self):
        reader = _reader()
        loader = _worker_loader(reader)
        loader.index_with(Vocabulary.from_instances(reader.read(str(TRAIN))))
        batches = list(loader)
        assert sum(len(batch["metadata"]) for batch in batches) == 12
        assert batches[0]["words"]["tokens"]["tokens"].max() > 1

    def test_indexers_are_added_by_apply_token_indexers(self):
        reader = _reader()
        instance = reader.text_to_instance(["Dogs", "bark", "."], ["NOUN", "VERB", "PUNCT"])
        assert instance["words"]._token_indexers is None
        reader.apply_token_indexers(instance)
        assert instance["words"].token_indexers is reader._token_indexers


class TestBiaffineParserPredictorWithPatchedReader(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        universal_dependencies.apply()
        reader = _reader()
        vocab = Vocabulary.from_instances(reader.read(str(TRAIN)))
        model = Model.from_params(
            vocab=vocab,
            params=Params(
                {
                    "type": "biaffine_parser",
                    "text_field_embedder": {
                        "token_embedders": {"tokens": {"type": "embedding", "embedding_dim": 4}}
                    },
                    "encoder": {"type": "lstm", "input_size": 4, "hidden_size": 4},
                    "tag_representation_dim": 4,
                    "arc_representation_dim": 4,
                }
            ),
        )
        # The stock predictor needs a spaCy pipeline; a blank one works offline.
        spacy_dir = self.TEST_DIR / "spacy_en"
        spacy.blank("en").to_disk(spacy_dir)
        self.predictor = BiaffineDependencyParserPredictor(model, reader, language=str(spacy_dir))

    def test_stock_predictor_does_not_apply_token_indexers(self):
        with unpatched(BiaffineDependencyParserPredictor, *PREDICTOR_METHODS):
            with pytest.raises(ValueError, match="token_indexers have not been set"):
                self.predictor.predict("Dogs bark loudly .")

    def test_predictor_parses_json_and_instances(self):
        output = self.predictor.predict("Dogs bark loudly .")
        assert output["words"] == ["Dogs", "bark", "loudly", "."]
        assert len(output["predicted_heads"]) == 4
        assert "hierplane_tree" in output
        instances = [
            self.predictor._dataset_reader.text_to_instance(["Dogs", "bark"], ["NOUN", "VERB"])
            for _ in range(2)
        ]
        assert len(self.predictor.predict_instance(instances[0])["predicted_heads"]) == 2
        assert len(self.predictor.predict_batch_instance(instances)) == 2
