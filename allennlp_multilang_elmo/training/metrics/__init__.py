from allennlp_multilang_elmo.training.metrics.per_language_attachment_scores import (
    PerLanguageAttachmentScores,
)
