"""
Zero-shot effect of a learned alignment: a parser without POS input, trained on English with an
ELMo, parses the English test split through that ELMo's rotated twin. With the alignment that
`elmo-align` learned from anchors alone it scores as with the original; without it, far lower.
"""

import copy
import os

import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.data import DatasetReader
from allennlp.data.data_loaders import MultiProcessDataLoader
from allennlp.models import Model
from allennlp.training.util import evaluate
from helpers.demo_training import REPO_ROOT, demo_config

pytestmark = pytest.mark.end_to_end

DATA = os.path.join(REPO_ROOT, "data", "ud-pud")


def parser_config(options_file, weight_file, aligning_file=None):
    files = {
        "options_files": {"en": options_file},
        "weight_files": {"en": weight_file},
        "aligning_files": {"en": aligning_file} if aligning_file else {},
    }
    return demo_config(
        files,
        os.path.join(DATA, "en_pud-ud-train.conllu"),
        os.path.join(DATA, "en_pud-ud-dev.conllu"),
        {
            "dataset_reader": {"languages": ["en"], "instances_per_language": 400},
            "data_loader": {"max_instances_in_memory": 400},
            "model": {
                "langs_for_early_stop": ["en"],
                # ELMo is the parser's only input.
                "pos_tag_embedding": None,
                "encoder": {"input_size": 16},
                "text_field_embedder": {
                    "token_embedders": {
                        "elmo": {"scalar_mix_parameters": [-9e10, 1, 1], "dropout": 0.0}
                    }
                },
                "input_dropout": 0.0,
            },
            "trainer": {"num_epochs": 6, "patience": None, "optimizer": {"lr": 5e-3}},
            "random_seed": 13,
            "numpy_seed": 13,
            "pytorch_seed": 13,
        },
    )


def test_parser_through_the_twin_needs_the_learned_alignment(twin_setting, tmp_path):
    config = parser_config(twin_setting.original_options, twin_setting.original_weights)
    model = train_model(Params(copy.deepcopy(config)), str(tmp_path / "model"))
    trained_state = model.state_dict()

    def test_las(options_file, weight_file, aligning_file=None) -> float:
        settings = parser_config(options_file, weight_file, aligning_file)
        parser = Model.from_params(vocab=model.vocab, params=Params(settings["model"]))
        # The parser's trained weights; the ELMo (biLM, mix, alignment) is the one configured.
        missing, unexpected = parser.load_state_dict(
            {k: v for k, v in trained_state.items() if "_elmos." not in k}, strict=False
        )
        assert not unexpected and all("_elmos." in key for key in missing)
        reader = DatasetReader.from_params(Params(settings["validation_dataset_reader"]))
        loader = MultiProcessDataLoader(
            reader, os.path.join(DATA, "en_pud-ud-test.conllu"), batch_size=32
        )
        loader.index_with(model.vocab)
        with torch.no_grad():
            return 100 * evaluate(parser.eval(), loader, cuda_device=-1)["LAS_en"]

    original = test_las(twin_setting.original_options, twin_setting.original_weights)
    twin = twin_setting.twin
    # Layers 1 and 2 share their rotation: the per-layer file's layer-1 matrix aligns the mix.
    stack = torch.load(twin_setting.alignment, weights_only=True)
    after_mix = str(tmp_path / "layer1.pth")
    torch.save(stack[1].clone(), after_mix)
    aligned = test_las(twin.options_file, twin.weight_file, after_mix)
    per_layer = test_las(twin.options_file, twin.weight_file, twin_setting.alignment)
    unaligned = test_las(twin.options_file, twin.weight_file)
    print(
        f"LAS original {original:.2f}, twin aligned {aligned:.2f} (per layer {per_layer:.2f}),"
        f" twin unaligned {unaligned:.2f}"
    )
    # Tiny random ELMo models carry little syntax; the parser still learns from them what the
    # unaligned twin cannot give it.
    assert original > 8
    assert abs(aligned - original) <= 0.5 and abs(per_layer - original) <= 0.5
    assert unaligned < original / 3
