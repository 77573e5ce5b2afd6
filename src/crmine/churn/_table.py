"""Reading a raw customer table for the churn classifier: column kinds and encoding."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from crmine.exceptions import DataWarning, SchemaError
from crmine.utils._validation import customer_frame, show_values, to_pandas, validate_data

# a categorical column with more distinct values than this share of the rows is an identifier
_ID_SHARE = 0.5


def _is_numeric_col(col: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)) and (
        not isinstance(col.dtype, pd.CategoricalDtype)
    )


def _is_date(col: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(col.dtype) or isinstance(
        col.dtype, (pd.PeriodDtype, pd.DatetimeTZDtype)
    )


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or isinstance(col.dtype, pd.StringDtype)


def _numeric_text_blanks(col: pd.Series) -> int | None:
    """Number of blank cells when ``col`` is numbers stored as text, else None.

    A text column is "numeric-looking" when every non-missing cell parses as
    a number except blank ones (empty or whitespace only), and at least one
    cell is a number.  The first 50 filled cells are tried first, so text
    columns are rejected after a few parses.
    """
    if not _is_text(col):
        return None
    filled = col[col.notna()]
    if len(filled) == 0:
        return None
    head = filled.iloc[:50].astype(str).str.strip()
    head = head[head != ""]
    if len(head) == 0 or pd.to_numeric(head, errors="coerce").isna().any():
        return None
    values = pd.to_numeric(filled, errors="coerce")
    bad = values.isna()
    if not bad.any():
        return 0
    if not (filled[bad].astype(str).str.strip() == "").all():
        return None
    return int(bad.sum())


def split_columns(df: pd.DataFrame) -> tuple[list[str], list[str], list[str], list[str]]:
    """Numeric, categorical, coerced (numeric text) and dropped (identifier) columns.

    Warns (:class:`~crmine.exceptions.DataWarning`) about every coerced and
    every dropped column.
    """
    numeric, categorical, coerced, dropped = [], [], [], []
    n = len(df)
    for c in df.columns:
        col = df[c]
        if _is_date(col):
            dropped.append(c)
            warnings.warn(
                f"column {c!r} holds dates ({col.dtype}); absolute dates do not carry over from "
                "one cutoff to the next, so the model ignores it (dropped_features_). Fix: turn "
                "it into a duration, e.g. (cutoff - X[col]).dt.days, or drop it.",
                DataWarning,
                stacklevel=5,
            )
            continue
        if _is_numeric_col(col):
            numeric.append(c)
            continue
        blanks = _numeric_text_blanks(col)
        if blanks is not None:
            numeric.append(c)
            coerced.append(c)
            warnings.warn(
                f"column {c!r} holds numbers as text; it is read as numbers and its "
                f"{blanks} blank value(s) are treated as missing (imputed, with an "
                f"indicator). Fix: X[{c!r}] = pd.to_numeric(X[{c!r}], errors='coerce').",
                DataWarning,
                stacklevel=5,
            )
            continue
        n_levels = col.nunique()
        if n >= 20 and n_levels > _ID_SHARE * n:
            dropped.append(c)
            warnings.warn(
                f"categorical column {c!r} has {n_levels} distinct values for {n} rows; it "
                "looks like an identifier and is ignored by the model (dropped_features_). "
                "Drop it yourself (X.drop(columns=[...])) or make it the index.",
                DataWarning,
                stacklevel=5,
            )
            continue
        categorical.append(c)
    return numeric, categorical, coerced, dropped


def make_preprocessor(numeric: list[str], categorical: list[str], *, sparse: bool) -> Any:
    """The ColumnTransformer: median impute + indicator + scale; one-hot (sparse or dense)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers = []
    if numeric:
        imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        transformers.append(
            ("num", Pipeline([("impute", imputer), ("scale", StandardScaler())]), list(numeric))
        )
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=sparse, dtype=np.float64)
        transformers.append(("cat", encoder, list(categorical)))
    return ColumnTransformer(
        transformers, remainder="drop", sparse_threshold=1.0 if sparse else 0.0
    )


def column_or_1d_checked(y: Any, n: int) -> np.ndarray:
    """``y`` as a 1-D array of length ``n`` without missing values."""
    y_arr = np.asarray(to_pandas(y, name="y"))
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr.ravel()
    if y_arr.ndim != 1 or len(y_arr) != n:
        raise SchemaError(
            f"y must hold one label per customer of X ({n}); got shape {y_arr.shape}."
        )
    if pd.isna(pd.Series(y_arr, dtype=object)).any():
        raise SchemaError("y has missing labels; every held-out customer needs a churn label.")
    return y_arr


def read_frame(est: Any, X: Any, *, fit: bool) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with string column names (checked, not copied)."""
    from sklearn.utils.validation import _check_feature_names, _check_n_features

    X = customer_frame(X, name="X")
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise SchemaError(f"X has duplicated column names {show_values(dup)}; rename them.")
        _check_feature_names(est, X, reset=fit)
        _check_n_features(est, X, reset=fit)
        if X.shape[1] == 0:
            raise SchemaError(
                f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required; pass "
                "the customer table's feature columns."
            )
        if X.shape[0] == 0:
            raise SchemaError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                "required: X is empty; pass at least one customer."
            )
        df = X if all(isinstance(c, str) for c in X.columns) else X.set_axis(names, axis=1)
        if fit:
            est._columns = names
    else:
        arr = validate_data(est, X, reset=fit, dtype=None, ensure_all_finite=False)
        cols = est._columns if not fit else [f"x{i}" for i in range(arr.shape[1])]
        df = pd.DataFrame(arr, columns=cols)
        if arr.dtype == object:
            df = df.infer_objects()
        if fit:
            est._columns = cols
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            inf = np.isinf(col.to_numpy(dtype=float, na_value=np.nan))
            if inf.any():
                raise SchemaError(
                    f"Input X contains infinity in column {c!r} ({int(inf.sum())} value(s), "
                    f"customers {show_values(df.index[inf].tolist())}); replace it with "
                    "NaN (treated as missing) or a finite value."
                )
    return df


def prepare(est: Any, df: pd.DataFrame) -> pd.DataFrame:
    """Return a new frame of the used columns: float64 numbers, string categories.

    Nullable integers and booleans become float64 with NaN for missing;
    numeric-looking text is parsed (blanks = NaN); categorical values
    become strings, missing ones ``"missing"``.
    """
    cols: dict[str, Any] = {}
    coerced = set(est.coerced_features_)
    for c in est.numeric_features_:
        col = df[c]
        if c in coerced:
            cols[c] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            continue
        try:
            cols[c] = pd.to_numeric(col).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
            raise SchemaError(
                f"column {c!r} was numeric in fit but holds non-numeric values such as "
                f"{show_values(bad.unique()[:3])}; pass numbers (NaN for missing)."
            ) from None
    for c in est.categorical_features_:
        obj = df[c].astype("object")
        cols[c] = obj.where(obj.notna(), "missing").astype(str).astype("object")
    used = est.numeric_features_ + est.categorical_features_
    return pd.DataFrame(cols, index=df.index, columns=used)


def check_labels(y: Any, X: pd.DataFrame) -> np.ndarray:
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_consistent_length, column_or_1d

    if y is None:
        raise ValueError(
            "requires y to be passed, but the target y is None. Pass the churn labels."
        )
    y_arr = column_or_1d(to_pandas(y, name="y"), warn=True)
    check_consistent_length(X, y_arr)
    if pd.isna(pd.Series(y_arr, dtype=object)).any():
        raise SchemaError(
            "Input y contains NaN: every customer needs a churn label (drop or label them)."
        )
    check_classification_targets(y_arr)
    classes = np.unique(y_arr)
    if len(classes) < 2:
        raise SchemaError(
            f"y contains only one class ({classes[0]!r}) in {len(y_arr)} customers; a churn "
            "model needs both churners and non-churners. Use a longer horizon or more "
            "customers."
        )
    if len(classes) > 2:
        raise SchemaError(
            "Only binary classification is supported. ChurnClassifier is binary (churn "
            f"vs. stay); y has {len(classes)} classes {show_values(classes)}. Encode the "
            "label as 0/1."
        )
    return y_arr
