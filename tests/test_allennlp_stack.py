"""
End-to-end checks of the AllenNLP 2.10.1 stack this plugin runs on: real `allennlp` CLI processes
(train, evaluate, predict, --recover, multi-process data loading, distributed CPU training) with
the stock `universal_dependencies` reader, `biaffine_parser` and `elmo_token_embedder` on a tiny
generated ELMo. The CLI runs from the repository root, whose `.allennlp_plugins` loads this plugin
and with it the compat patches. Each CLI process costs about ten seconds of imports, so each test
does the most it can with few of them.
"""

import json
import os
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest
import spacy
from allennlp.common.testing import AllenNlpTestCase

from allennlp_multilang_elmo.modules.tiny_elmo import write_elmo_model

pytestmark = pytest.mark.end_to_end

REPO_ROOT = pathlib.Path(__file__).parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "stack"
TRAIN, DEV = FIXTURES / "en_train.conllu", FIXTURES / "en_dev.conllu"
NUM_DEV_SENTENCES = 6
ALLENNLP = pathlib.Path(sys.executable).parent / "allennlp"
CLI_ENV = {
    # Nothing here may reach the network.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    # The tensors are tiny: intra-op threads only add contention, which on a busy machine makes
    # every matrix product wait for a descheduled thread (60 times slower, measured).
    "OMP_NUM_THREADS": "1",
}


class TestAllenNlpStack(AllenNlpTestCase):
    def setup_method(self):
        super().setup_method()
        self.options_file, self.weight_file = write_elmo_model(str(self.TEST_DIR / "elmo"), seed=1)

    def _config(self, **trainer: Any) -> Dict[str, Any]:
        """The parser config; `trainer` entries override the trainer's."""
        return {
            "dataset_reader": {
                "type": "universal_dependencies",
                "token_indexers": {"elmo": {"type": "elmo_characters"}},
            },
            "train_data_path": str(TRAIN),
            "validation_data_path": str(DEV),
            "model": {
                "type": "biaffine_parser",
                "text_field_embedder": {
                    "token_embedders": {
                        "elmo": {
                            "type": "elmo_token_embedder",
                            "options_file": self.options_file,
                            "weight_file": self.weight_file,
                            "do_layer_norm": False,
                            "dropout": 0.0,
                        }
                    }
                },
                "pos_tag_embedding": {"embedding_dim": 8, "vocab_namespace": "pos"},
                "encoder": {
                    "type": "stacked_bidirectional_lstm",
                    "input_size": 16 + 8,
                    "hidden_size": 8,
                    "num_layers": 1,
                    "recurrent_dropout_probability": 0.0,
                    "use_highway": True,
                },
                "arc_representation_dim": 16,
                "tag_representation_dim": 8,
                "dropout": 0.0,
                "input_dropout": 0.0,
                "initializer": {
                    "regexes": [
                        [".*projection.*weight", {"type": "xavier_uniform"}],
                        [".*projection.*bias", {"type": "zero"}],
                        [".*tag_bilinear.*weight", {"type": "xavier_uniform"}],
                        [".*tag_bilinear.*bias", {"type": "zero"}],
                        [".*weight_ih.*", {"type": "xavier_uniform"}],
                        [".*weight_hh.*", {"type": "orthogonal"}],
                        [".*bias_ih.*", {"type": "zero"}],
                        [".*bias_hh.*", {"type": "lstm_hidden_bias"}],
                    ],
                    # The projection regexes also match ELMo's own layers: keep its weights.
                    "prevent_regexes": [".*_elmo.*"],
                },
            },
            "data_loader": {"batch_sampler": {"type": "bucket", "batch_size": 4}},
            "trainer": {
                "num_epochs": 2,
                "cuda_device": -1,
                "validation_metric": "+LAS",
                "optimizer": {"type": "adam", "lr": 0.01},
                **trainer,
            },
        }

    def _write_config(self, config: Dict[str, Any]) -> str:
        path = self.TEST_DIR / "config.json"
        path.write_text(json.dumps(config, indent=2))
        return str(path)

    def _start(self, log_name: str, *args: str) -> Tuple[subprocess.Popen, pathlib.Path]:
        """Starts `allennlp *args` with its output going to `log_name` in the test directory."""
        log = self.TEST_DIR / log_name
        with open(log, "w") as output:
            process = subprocess.Popen(
                [str(ALLENNLP), *args],
                cwd=REPO_ROOT,
                env={**os.environ, **CLI_ENV},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return process, log

    def _wait(self, started: Tuple[subprocess.Popen, pathlib.Path]) -> str:
        """Waits for a CLI process, checks it succeeded cleanly and returns its output."""
        process, log = started
        returncode = process.wait(timeout=300)
        output = log.read_text()
        assert returncode == 0, f"{process.args} failed:\n{output[-4000:]}"
        assert "Plugin allennlp_multilang_elmo available" in output
        # B5: no NLTK download attempt; B13: no autocast deprecation from the trainer.
        assert "[nltk_data]" not in output
        assert "torch.cuda.amp.autocast" not in output
        return output

    def _allennlp(self, log_name: str, *args: str) -> str:
        return self._wait(self._start(log_name, *args))

    def _metrics(self, serialization_dir: pathlib.Path) -> Dict[str, Any]:
        return json.loads((serialization_dir / "metrics.json").read_text())

    def test_train_evaluate_predict(self):
        out = self.TEST_DIR / "out"
        self._allennlp("train.log", "train", self._write_config(self._config()), "-s", str(out))
        metrics = self._metrics(out)
        assert metrics["epoch"] == 1
        assert 0.0 <= metrics["best_validation_LAS"] <= metrics["best_validation_UAS"] <= 1.0

        # The stock predictor loads a spaCy pipeline; a blank one keeps it offline.
        spacy_dir = self.TEST_DIR / "spacy_en"
        spacy.blank("en").to_disk(spacy_dir)
        archive = str(out / "model.tar.gz")
        evaluation, predictions = self.TEST_DIR / "evaluation.json", self.TEST_DIR / "predictions"
        # Both only read the archive: run them side by side.
        evaluate = self._start(
            "evaluate.log", "evaluate", archive, str(DEV), "--output-file", str(evaluation)
        )
        predict = self._start(
            "predict.log",
            "predict",
            archive,
            str(DEV),
            "--use-dataset-reader",
            "--predictor-args",
            json.dumps({"language": str(spacy_dir)}),
            "--output-file",
            str(predictions),
            "--silent",
        )
        self._wait(evaluate)
        self._wait(predict)

        # Not equal to the validation scores: ELMo's biLM is stateful across batches.
        scores = json.loads(evaluation.read_text())
        assert 0.0 <= scores["LAS"] <= scores["UAS"] <= 1.0
        assert scores["loss"] > 0.0
        parses = [json.loads(line) for line in predictions.read_text().splitlines()]
        assert len(parses) == NUM_DEV_SENTENCES
        for parse in parses:
            assert len(parse["predicted_heads"]) == len(parse["words"])
            assert all(0 <= head <= len(parse["words"]) for head in parse["predicted_heads"])
            assert parse["hierplane_tree"]["root"]["word"] in parse["words"]

    def test_recover_with_plateau_scheduler(self):
        # B8: the scheduler must be constructible; B7: its state and the trainer's must reload.
        config = self._write_config(
            self._config(
                learning_rate_scheduler={"type": "reduce_on_plateau", "mode": "max", "patience": 0}
            )
        )
        out = self.TEST_DIR / "out"
        self._allennlp("train.log", "train", config, "-s", str(out))
        # Emulate a run killed right after its first epoch: drop what the second one saved.
        for name in ("model_state_e2_b0.th", "training_state_e2_b0.th"):
            (out / name).unlink()

        recovered = self._allennlp("recover.log", "train", config, "-s", str(out), "--recover")
        assert "Recovering from prior training" in recovered
        # The restored first epoch is skipped: only the second one trains and validates again.
        assert recovered.count("gradient_descent_trainer - Validating") == 1
        assert (out / "training_state_e2_b0.th").is_file()
        assert self._metrics(out)["epoch"] == 1

    def test_multiprocess_data_loading(self):
        # B11: the stock reader in worker processes. The training loader forks two workers, which
        # read instances to build the vocabulary and then, as instances are not kept in memory,
        # batches in every epoch; the validation loader spawns its worker (B9).
        config = self._config(num_epochs=1)
        config["data_loader"].update({"num_workers": 2, "max_instances_in_memory": 8})
        config["validation_data_loader"] = {
            "batch_size": NUM_DEV_SENTENCES,
            "num_workers": 1,
            "start_method": "spawn",
        }
        out = self.TEST_DIR / "out"
        self._allennlp("train.log", "train", self._write_config(config), "-s", str(out))
        metrics = self._metrics(out)
        assert 0.0 <= metrics["validation_LAS"] <= metrics["validation_UAS"] <= 1.0

    def test_distributed_cpu_training(self):
        # B10: two gloo workers on CPU, each scoring its own batches with AttachmentScores.
        config = self._config(num_epochs=1)
        config["distributed"] = {"cuda_devices": [-1, -1]}
        out = self.TEST_DIR / "out"
        output = self._allennlp("train.log", "train", self._write_config(config), "-s", str(out))
        assert "Switching to distributed training mode" in output
        workers: List[pathlib.Path] = sorted(out.glob("out_worker*.log"))
        assert [log.name for log in workers] == ["out_worker0.log", "out_worker1.log"]
        metrics = self._metrics(out)
        assert 0.0 <= metrics["validation_LAS"] <= metrics["validation_UAS"] <= 1.0
