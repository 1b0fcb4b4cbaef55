from allennlp_multilang_elmo.data.samplers.same_language_batch_sampler import (
    SameLanguageBatchSampler,
)
