from allennlp_multilang_elmo.testing.elmo_factory import (
    elmo_options,
    random_orthogonal,
    write_alignment,
    write_elmo_model,
    write_elmo_weights,
    write_multilang_elmo,
)
