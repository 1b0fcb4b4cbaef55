"""
Run-time fixes that let AllenNLP 2.10.1 and allennlp-models 2.10.1 work on Python 3.11 with torch
2.x and numpy 2 (B5 to B13, B17 to B20), and that make every config using the multilingual embedder
safe without extra config lines (B14 to B16). Each module fixes one breakage, numbered as in
`README.md` in this folder, which lists every patch with its upstream cause, the versions it is
for, the test that shows the breakage and when it can go; the module's docstring says what breaks
and why. `apply_patches` applies them all and is idempotent; a patch whose versions (its
`VERSIONS`) are not installed does nothing and logs one line. The package's `__init__` calls it
before anything else, so every `allennlp` command that loads this plugin runs patched.

`nltk_data` is the exception: its fix (B5) must exist before any plugin is imported, so the install
script runs it once.
"""

from allennlp_multilang_elmo.compat import (
    amp_warnings,
    attachment_scores,
    best_model_file,
    data_loader_spawn,
    data_loader_workers,
    distributed_end,
    elmo_archives,
    initializer_guard,
    reduce_on_plateau,
    resumed_epoch_loss,
    torch_load,
    trainer_defaults,
    universal_dependencies,
)

_PATCHES = (
    torch_load,  # B7
    reduce_on_plateau,  # B8
    data_loader_spawn,  # B9
    attachment_scores,  # B10
    universal_dependencies,  # B11
    amp_warnings,  # B13
    trainer_defaults,  # B14
    elmo_archives,  # B15
    initializer_guard,  # B16
    best_model_file,  # B17
    resumed_epoch_loss,  # B18
    distributed_end,  # B19
    data_loader_workers,  # B20
)


def apply_patches() -> None:
    """Applies every run-time patch; applying them again changes nothing."""
    for patch in _PATCHES:
        patch.apply()
