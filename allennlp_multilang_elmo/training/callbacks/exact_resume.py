"""
Exact resumption of an interrupted `allennlp train`: the random-number states and the state that
stateful biLMs carry from one batch to the next, saved in every checkpoint and put back where the
resumed run reaches the checkpoint's batch.
"""

import copy
import functools
import logging
import random
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, cast

import numpy
import torch
import torch.distributed as dist
from allennlp.common.checks import ConfigurationError
from allennlp.nn.util import is_distributed
from allennlp.training.callbacks.callback import TrainerCallback
from allennlp.training.metrics import Metric

logger = logging.getLogger(__name__)


def random_states() -> Dict[str, Any]:
    """
    The states of Python's, numpy's and torch's global generators (and of every CUDA device's),
    made only of what `torch.load` reads with `weights_only=True`.
    """
    # numpy's stubs type this (legacy) call as returning a dict, which only `legacy=False` does.
    _, keys, position, has_gauss, gauss = cast(
        Tuple[str, numpy.ndarray, int, int, float], numpy.random.get_state()
    )
    states: Dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(numpy.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: Dict[str, Any]) -> None:
    """Puts back the generator states that `random_states` returned."""
    random.setstate(states["python"])
    saved = states["numpy"]
    numpy.random.set_state(
        (
            "MT19937",
            saved["keys"].numpy().astype(numpy.uint32),
            saved["position"],
            saved["has_gauss"],
            saved["gauss"],
        )
    )
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def carried_states(model: torch.nn.Module) -> Dict[str, Optional[Dict[str, torch.Tensor]]]:
    """
    `carried_state()` of every module of `model` that has it and `restore_carried_state` (the
    stateful biLMs of `ElmoBiLm`), by module name.
    """
    return {
        name: module.carried_state()
        for name, module in model.named_modules()
        if callable(getattr(module, "carried_state", None))
        and callable(getattr(module, "restore_carried_state", None))
    }


def restore_carried_states(
    model: torch.nn.Module, states: Dict[str, Optional[Dict[str, torch.Tensor]]]
) -> None:
    """Gives every module named in `states` its carried state back."""
    modules = dict(model.named_modules())
    for name, state in states.items():
        module = modules.get(name)
        if not callable(getattr(module, "restore_carried_state", None)):
            raise ConfigurationError(
                f"The checkpoint holds the carried state of module {name!r}, which the model has "
                "not (or which cannot restore it): was the model changed since the checkpoint?"
            )
        module.restore_carried_state(state)  # type: ignore[union-attr]


EPOCH_LOSS = "_exact_resume_epoch_loss"
"""
The model attribute where compat patch B18 keeps the training epoch's running loss sums,
`{"loss": ..., "reg": ...}`, as the trainer's last metrics saw them.
"""
RESUMED_LOSS = "_exact_resume_resumed_loss"
"""The model attribute with the sums put back on resuming; B18 continues them to the epoch's end."""


def _plain(value: Any) -> bool:
    """Whether `value` is made only of what `torch.load` reads with `weights_only=True`."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, (str, int)) and _plain(item) for key, item in value.items())
    return False


def metric_states(model: torch.nn.Module) -> Dict[str, Dict[str, Any]]:
    """
    The state (attributes) of every `Metric` that a module of `model` holds, by `module.attribute`
    name: what the metrics have counted so far in the epoch. Metrics holding anything else than
    numbers, strings, tensors and lists or dicts of them are left out.
    """
    states = {}
    for module_name, module in model.named_modules():
        for attribute, value in vars(module).items():
            if isinstance(value, Metric) and _plain(vars(value)):
                states[f"{module_name}.{attribute}"] = copy.deepcopy(vars(value))
    return states


def restore_metric_states(model: torch.nn.Module, states: Dict[str, Dict[str, Any]]) -> None:
    """Puts back what `metric_states` returned."""
    modules = dict(model.named_modules())
    for name, state in states.items():
        module_name, _, attribute = name.rpartition(".")
        metric = getattr(modules.get(module_name), attribute, None)
        if not isinstance(metric, Metric):
            raise ConfigurationError(
                f"The checkpoint holds the state of metric {name!r}, which the model has not: "
                "was the model changed since the checkpoint?"
            )
        vars(metric).update(copy.deepcopy(state))


@TrainerCallback.register("exact_resume")
class ExactResumeCallback(TrainerCallback):
    """
    Makes `allennlp train --recover` continue exactly as the interrupted run would have, from a
    checkpoint at the end of an epoch or in the middle of one (the trainer's checkpointer with
    `save_every_num_batches`, for example). AllenNLP 2.10 saves the model, optimizer and schedulers
    but no random-number state, and a stateful biLM (ELMo carries its LSTM state from batch to
    batch) restarts from zeros; a resumed run then drifts from the uninterrupted one.

    This callback adds to every checkpoint the states of Python's, numpy's and torch's (and CUDA's)
    global generators, the generator states at the start of the checkpoint's epoch, the carried
    state of every module with `carried_state()` and `restore_carried_state(state)` methods
    (found through `model.named_modules()`), what the model's metrics have counted so far in the
    epoch, and the epoch's running loss (kept by compat patch B18), so that a run resumed in its
    last epoch reports the same training metrics and loss. When resuming, the trainer replays the
    data of the finished epochs and batches without training on them; the callback puts the
    epoch-start states back when the checkpoint's epoch starts, so that the data loader draws
    that epoch's batches again, and everything else right before the first batch that trains, so
    that dropout and the biLMs continue where they were.

    It assumes that, as with AllenNLP's data loaders and samplers, the data loader does not draw
    from torch's generator and the model only draws from it, and a data loader without
    `batches_per_epoch` (data-loader workers seed their generators from the main process's and are
    taken in turn: compat B20). It finds the data position by wrapping the trainer's `data_loader`
    (attribute access passes through). In distributed training, where only the first process writes
    checkpoints, every process's states are gathered into each checkpoint (the callback wraps the
    checkpointer's `save_checkpoint`), and each process resumes from its own: resume with as many
    processes as the run had.

    Registered as a `TrainerCallback` with name "exact_resume".
    """

    def __init__(self, serialization_dir: str) -> None:
        super().__init__(serialization_dir)
        self._trainer: Any = None
        self._epoch_start_states: Optional[Dict[str, Any]] = None
        self._resume: Optional[Dict[str, Any]] = None
        # In distributed training, every process's state while a checkpoint is written.
        self._processes_states: Optional[List[Any]] = None

    def state_dict(self) -> Dict[str, Any]:
        trainer = self._trainer
        if trainer is None:
            return {}
        state = {
            "epochs_completed": trainer._epochs_completed,
            "batches_in_epoch_completed": trainer._batches_in_epoch_completed,
        }
        if self._processes_states is not None:
            state["processes"] = self._processes_states
        else:
            state.update(self._process_state())
        return state

    def _process_state(self) -> Dict[str, Any]:
        """What this process's next batch depends on."""
        model, batches = self._trainer.model, self._trainer._batches_in_epoch_completed
        return {
            "random_states": random_states(),
            # At the end of an epoch the next one has not started yet.
            "epoch_start_random_states": self._epoch_start_states if batches else None,
            "carried_states": carried_states(model),
            "metric_states": metric_states(model),
            "epoch_loss": copy.deepcopy(getattr(model, EPOCH_LOSS, None)) if batches else None,
        }

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        if not state_dict:
            logger.warning(
                "exact_resume: the checkpoint has no random-number or biLM states (written "
                "without this callback); the resumed run will not repeat the interrupted one"
            )
        elif "processes" in state_dict or is_distributed():
            processes = state_dict.get("processes", [state_dict])
            rank, world_size = (
                (dist.get_rank(), dist.get_world_size()) if is_distributed() else (0, 1)
            )
            if len(processes) != world_size:
                raise ConfigurationError(
                    f"The checkpoint was written by a run of {len(processes)} training "
                    f"process(es); resume it with as many (this run has {world_size})"
                )
            counters = {
                key: state_dict[key] for key in ("epochs_completed", "batches_in_epoch_completed")
            }
            state_dict = {**counters, **processes[rank]}
        self._resume = state_dict or None

    def _gather_before_saving(self, save_checkpoint: Callable[..., None]) -> Callable[..., None]:
        """
        The checkpointer's `save_checkpoint`, first collecting every process's state: only the
        first process writes the checkpoint, and each process resumes from its own state.
        """

        @functools.wraps(save_checkpoint)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            gathered: List[Any] = [None] * dist.get_world_size()
            dist.all_gather_object(gathered, _on_cpu(self._process_state()))
            self._processes_states = gathered
            try:
                save_checkpoint(*args, **kwargs)
            finally:
                self._processes_states = None
            # AllenNLP's checkpointer notes when it last saved only in the process that writes;
            # the others would then call it (and this gathering) after every batch.
            checkpointer = self._trainer._checkpointer
            checkpointer._last_save_num_epochs_completed = self._trainer._epochs_completed
            checkpointer._last_save_num_batches_in_epoch_completed = (
                self._trainer._batches_in_epoch_completed
            )

        return wrapper

    def on_start(self, trainer, is_primary: bool = True, **kwargs) -> None:
        super().on_start(trainer, is_primary=is_primary, **kwargs)
        self._trainer = trainer
        if getattr(trainer.data_loader, "batches_per_epoch", None) is not None:
            logger.warning(
                "exact_resume: a data loader with batches_per_epoch carries its position from "
                "epoch to epoch; resuming will not be exact"
            )
        if not isinstance(trainer.data_loader, _EpochStartHook):
            trainer.data_loader = _EpochStartHook(trainer.data_loader, self)
        checkpointer = trainer._checkpointer
        if is_distributed() and checkpointer is not None:
            checkpointer.save_checkpoint = self._gather_before_saving(checkpointer.save_checkpoint)

    def _batches(self, data_loader) -> Iterator[Any]:
        """The batches of one epoch of `data_loader`, with the states put back where needed."""
        trainer, resume = self._trainer, self._resume
        if resume is not None and resume["epochs_completed"] != trainer._epochs_completed:
            resume = None  # a finished epoch being replayed
        resume_at = None
        if resume is not None:
            group_size = getattr(trainer, "_num_gradient_accumulation_steps", 1)
            resume_at = resume["batches_in_epoch_completed"] * group_size
            if resume_at:
                set_random_states(resume["epoch_start_random_states"])
            else:
                self._put_back(resume)
                resume_at = None
        self._epoch_start_states = random_states()
        iterator = iter(data_loader)
        index = 0
        while True:
            if index == resume_at:
                self._put_back(resume)  # type: ignore[arg-type]
            try:
                batch = next(iterator)
            except StopIteration:
                return
            yield batch
            index += 1

    def _put_back(self, resume: Dict[str, Any]) -> None:
        set_random_states(resume["random_states"])
        restore_carried_states(self._trainer.model, resume["carried_states"])
        restore_metric_states(self._trainer.model, resume.get("metric_states", {}))
        if resume.get("epoch_loss") is not None:
            setattr(self._trainer.model, RESUMED_LOSS, copy.deepcopy(resume["epoch_loss"]))
        self._resume = None
        logger.info(
            "exact_resume: random-number states and %d carried biLM states restored at epoch %d, "
            "batch %d",
            len(resume["carried_states"]),
            resume["epochs_completed"],
            resume["batches_in_epoch_completed"],
        )


def _on_cpu(value: Any) -> Any:
    """`value` with every tensor in it moved to the CPU (to gather it from GPU processes)."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if isinstance(value, dict):
        return {key: _on_cpu(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_on_cpu(item) for item in value)
    return value


class _EpochStartHook:
    """The trainer's data loader, iterated through `ExactResumeCallback._batches`."""

    def __init__(self, data_loader, callback: ExactResumeCallback) -> None:
        self._data_loader = data_loader
        self._callback = callback

    def __iter__(self) -> Iterator[Any]:
        return self._callback._batches(self._data_loader)

    def __len__(self) -> int:
        return len(self._data_loader)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._data_loader, name)
