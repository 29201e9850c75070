"""The library's conventions, checked over every public module so that a new chapter cannot drift from them.

* A law is a frozen dataclass with a ``loss`` method that validates its constants.
* A function that needs a law takes it as the keyword-only argument ``law``, defaulting to the chapter's paper.
* ``tokens_per_param`` means D / N of a given model and nothing else.
* The 6ND constant is named, never a literal 6, outside ``compute.py`` where it is defined.
"""

import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import lectures_lib
from lectures_lib.chinchilla import ChinchillaLaw
from lectures_lib.distillation import DistillationLaw, SupervisedLaw
from lectures_lib.kaplan import KaplanJointLaw, KaplanLearningCurveLaw
from lectures_lib.moe import GranularityLaw
from lectures_lib.overtraining import OvertrainingLaw
from lectures_lib.power_laws import PowerLaw
from lectures_lib.quantization import PrecisionLaw
from lectures_lib.test_time import CoverageLaw

LAW_TYPES = (ChinchillaLaw, CoverageLaw, DistillationLaw, GranularityLaw, KaplanJointLaw, KaplanLearningCurveLaw,
             OvertrainingLaw, PowerLaw, PrecisionLaw, SupervisedLaw)
SKIP = ("lectures_lib.grading", "lectures_lib.exercises")  # no laws there; grading imports nbclient
PACKAGE = Path(lectures_lib.__file__).parent


def _modules():
    for info in pkgutil.walk_packages(lectures_lib.__path__, "lectures_lib."):
        if not info.name.startswith(SKIP):
            yield importlib.import_module(info.name)


def _public_callables():
    for module in _modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member) and not attr.startswith("_"):
                        yield f"{module.__name__}.{name}.{attr}", member


CALLABLES = dict(_public_callables())
TAKES_A_LAW = {name: fn for name, fn in CALLABLES.items() if "law" in inspect.signature(fn).parameters}


def test_some_functions_take_a_law():
    assert len(TAKES_A_LAW) >= 15, sorted(TAKES_A_LAW)


@pytest.mark.parametrize("name", sorted(TAKES_A_LAW))
def test_law_is_a_keyword_with_a_published_default(name):
    parameter = inspect.signature(TAKES_A_LAW[name]).parameters["law"]
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}: law must come after '*'"
    if name == "lectures_lib.power_laws.simulate_power_law" or name.endswith("Plot.update"):
        # a generic tool, or an explorer handle set to what its controls show: the law is the caller's
        assert parameter.default is inspect.Parameter.empty
    else:
        assert isinstance(parameter.default, LAW_TYPES), f"{name}: the default law must be a published constant"


@pytest.mark.parametrize("law_type", LAW_TYPES)
def test_laws_are_frozen_validated_dataclasses_with_a_loss(law_type):
    assert dataclasses.is_dataclass(law_type) and law_type.__dataclass_params__.frozen
    assert callable(getattr(law_type, "loss", None))
    fields = [f.name for f in dataclasses.fields(law_type)]
    with pytest.raises(ValueError):  # no constant of any law may be NaN
        law_type(**dict.fromkeys(fields, float("nan")))
    if law_type is not CoverageLaw:  # Brown et al.'s a and b are negative; every other law's constants are not
        with pytest.raises(ValueError):
            law_type(**dict.fromkeys(fields, -1.0))


def test_tokens_per_param_means_one_thing():
    named = sorted(name for name in CALLABLES if name.split(".")[-1] == "tokens_per_param")
    assert named == ["lectures_lib.compute.tokens_per_param", "lectures_lib.data.TrainingRuns.tokens_per_param",
                     "lectures_lib.models.PublishedModel.tokens_per_param"]
    as_parameter = [name for name, fn in CALLABLES.items() if "tokens_per_param" in inspect.signature(fn).parameters]
    assert as_parameter == []


def test_no_literal_six_for_training_flops():
    pattern = re.compile(r"(?<![\w.])6(\.0)?\s*\*|\*\s*6(\.0)?(?![\w.])|/\s*\(?\s*6(\.0)?\s*\*")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "compute.py" or "grading" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if not code.strip().startswith(('"', "'")) and pattern.search(code):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == [], "use compute.TRAINING_FLOPS_PER_PARAM_TOKEN or compute.training_tokens:\n" + "\n".join(
        offenders)
