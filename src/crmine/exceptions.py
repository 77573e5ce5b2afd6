"""Exceptions raised by crmine.

Every error names the column, the offending value and the fix.  All of them
subclass a built-in (``ValueError`` or ``TypeError``) so that callers who
catch the built-in keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "CrmineError",
    "SchemaError",
    "InputTypeError",
    "NotFittedError",
    "DataWarning",
    "ConvergenceWarning",
]


class CrmineError(Exception):
    """Base class of every exception raised on purpose by crmine."""


class SchemaError(CrmineError, ValueError):
    """The transaction log or customer table does not have the expected shape.

    Raised for a missing column, unparseable timestamps, non-numeric amounts,
    missing customer ids and similar problems.  The message names the column,
    shows a few offending values with their count and says how to fix it.
    """


class InputTypeError(CrmineError, TypeError):
    """The input is of a type crmine cannot read (e.g. an array where a named table is needed).

    The message names the argument, the type received and the conversion that fixes it.
    Subclasses ``TypeError``.
    """


class DataWarning(UserWarning):
    """The data allows a result, but the result deserves caution."""


class ConvergenceWarning(UserWarning):
    """An optimiser stopped at a boundary or did not converge."""


if TYPE_CHECKING:  # type checkers see the real class; at run time it is built on first use
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(CrmineError, _SklearnNotFittedError):
        """An estimator was used before ``fit``.

        Subclasses ``sklearn.exceptions.NotFittedError`` (itself a ``ValueError``
        and an ``AttributeError``), so code that catches scikit-learn's error,
        including scikit-learn's own estimator checks, catches crmine's too.  The
        class is created on first use (``crmine.exceptions.NotFittedError``), so
        that importing crmine does not import scikit-learn.
        """


_NOT_FITTED_DOC = """An estimator was used before ``fit``.

Subclasses ``sklearn.exceptions.NotFittedError`` (itself a ``ValueError``
and an ``AttributeError``), so code that catches scikit-learn's error,
including scikit-learn's own estimator checks, catches crmine's too.  The
class is created on first use (``crmine.exceptions.NotFittedError``), so
that importing crmine does not import scikit-learn.

Examples
--------
>>> from sklearn.exceptions import NotFittedError as SklearnNotFittedError
>>> from crmine.exceptions import NotFittedError
>>> issubclass(NotFittedError, (SklearnNotFittedError, CrmineError, ValueError))
True
"""


def __getattr__(name: str) -> Any:
    # PEP 562: NotFittedError subclasses scikit-learn's, which costs the import of
    # scikit-learn (about a second); it is built when first asked for, then cached.
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

        cls = type(
            "NotFittedError",
            (CrmineError, _SklearnNotFittedError),
            {"__doc__": _NOT_FITTED_DOC, "__module__": __name__},
        )
        globals()["NotFittedError"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"NotFittedError"})
