import importlib.util
import io
import json
import os

from helpers.demo_training import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    "quiet_console", os.path.join(REPO_ROOT, "scripts", "quiet_console.py")
)
quiet_console = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quiet_console)

STAMP = "2026-11-25 21:19:07,050"


def run_filter(text: str, run=None) -> str:
    out = io.BytesIO()
    quiet_console.filter_console(io.BytesIO(text.encode()), out, run, None)
    return out.getvalue().decode()


def test_drops_info_records_and_keeps_warnings_bars_and_the_rest():
    text = (
        f"{STAMP} - INFO - allennlp.common.params - model.type = biaffine_parser_multilang\n"
        "  a continuation line of that record\n"
        f"{STAMP} - INFO - allennlp.commands.evaluate - Metrics: {{\n"
        '  "UAS_es": 0.5\n'
        "}\n"
        f"{STAMP} - WARNING - allennlp.x - something to see\n"
        "\rUAS_en: 0.1000, LAS_AVG: 0.2000, loss: 3.1000 ||: : 1it [00:01, 1.0s/it]"
        f"{STAMP} - WARNING - allennlp.data.fields.sequence_label_field - Your label namespace was"
        " 'pos'. We recommend you use a namespace ending with 'labels' or 'tags'\n"
        "\n\rloading instances: 155it [00:00, 1490.09it/s]\x1b[A\r"
        "plain output\n"
    )
    assert run_filter(text) == (
        f"{STAMP} - WARNING - allennlp.x - something to see\n"
        "\rLAS_AVG: 0.2000, loss: 3.1000 ||: : 1it [00:01, 1.0s/it]"
        "\r"  # where the dropped inner bar began
        "plain output\n"
    )


def test_epoch_summary_from_the_epoch_metrics(tmp_path):
    metrics = {
        "epoch": 0,
        "training_loss": 2.5,
        "validation_loss": 2.25,
        "validation_UAS_AVG": 0.5,
        "validation_LAS_AVG": 0.25,
        "validation_LAS_en": 0.25,
        "validation_LAS_es": 0.125,
    }
    (tmp_path / "metrics_epoch_0.json").write_text(json.dumps(metrics))
    text = (
        f"{STAMP} - INFO - allennlp.training.gradient_descent_trainer - Epoch duration: 0:01:00\n"
    )
    assert run_filter(text, str(tmp_path)) == (
        "epoch 0: loss 2.500 (validation 2.250); validation UAS_AVG 50.0, LAS_AVG 25.0; "
        "LAS en 25.0 es 12.5\n"
    )
