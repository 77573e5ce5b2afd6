"""Reading survival data for SurvivalCLV: durations, events, covariates, current tenure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import SchemaError

__all__ = ["SurvivalDataMixin"]


class SurvivalDataMixin:
    """Column checks and covariate encoding shared by SurvivalCLV's fit and predictions."""

    covariates_: list
    duration_col_: str

    # ------------------------------------------------------------------ encoding
    def _encode(self, X: pd.DataFrame, *, fitting: bool) -> pd.DataFrame:
        cols = {}
        if fitting:
            self._levels = {}
        for c in self.covariates_:
            s = X[c]
            if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
                vals = s.astype(float)
                if not np.isfinite(vals.to_numpy()).all():
                    raise SchemaError(
                        f"covariate {c!r} has missing or infinite values; impute them first."
                    )
                cols[c] = vals.to_numpy()
            else:
                if s.isna().any():
                    raise SchemaError(
                        f"covariate {c!r} has {int(s.isna().sum())} missing value(s); impute them."
                    )
                sv = s.astype(str)
                if fitting:
                    levels = sorted(pd.unique(sv))
                    if len(levels) < 2:
                        raise SchemaError(
                            f"covariate {c!r} has a single level {levels!r}; drop it."
                        )
                    self._levels[c] = levels
                levels = self._levels[c]
                unknown = set(pd.unique(sv)) - set(levels)
                if unknown:
                    raise SchemaError(
                        f"covariate {c!r} has level(s) {sorted(unknown)[:5]} not seen in fit; "
                        f"known levels: {levels}."
                    )
                for lev in levels[1:]:
                    cols[f"{c}={lev}"] = (sv == lev).to_numpy(dtype=float)
        return pd.DataFrame(cols, index=X.index)

    @staticmethod
    def _durations(X: pd.DataFrame, col: str) -> np.ndarray:
        s = X[col]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise SchemaError(
                f"column {col!r} must hold numeric durations, got dtype {s.dtype}; convert it "
                "with pd.to_numeric."
            )
        d = s.to_numpy(dtype=float, na_value=np.nan)
        if not np.isfinite(d).all():
            raise SchemaError(f"column {col!r} has missing or infinite durations; drop or impute.")
        if (d < 0).any():
            raise SchemaError(
                f"column {col!r} has negative durations (e.g. {d[d < 0][0]!r}, "
                f"{int((d < 0).sum())} row(s)); durations are time since the start of the "
                "relationship and must be >= 0."
            )
        return d

    @staticmethod
    def _events(X: pd.DataFrame, col: str) -> np.ndarray:
        s = X[col]
        if not (pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype)):
            raise SchemaError(
                f"column {col!r} must be 0/1 or boolean, got dtype {s.dtype} (e.g. "
                f"{s.iloc[0]!r}); map it, e.g. df[{col!r}].eq('Yes').astype(int)."
            )
        e = s.to_numpy(dtype=float, na_value=np.nan)
        if not np.isin(e, (0.0, 1.0)).all():
            raise SchemaError(f"column {col!r} must hold only 0 and 1 (or booleans).")
        return e.astype(int)

    def _tenure(self, X: pd.DataFrame, current_tenure: Any) -> np.ndarray:
        if current_tenure is None:
            if self.duration_col_ in X.columns:
                t0 = self._durations(X, self.duration_col_)
            else:
                t0 = np.zeros(len(X))
        elif isinstance(current_tenure, str):
            if current_tenure not in X.columns:
                raise SchemaError(f"customer table has no column {current_tenure!r}.")
            t0 = self._durations(X, current_tenure)
        else:
            t0 = np.broadcast_to(np.asarray(current_tenure, dtype=float), (len(X),)).copy()
            if not np.isfinite(t0).all() or (t0 < 0).any():
                raise SchemaError("current_tenure must be finite and >= 0.")
        return t0
