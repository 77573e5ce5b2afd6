from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["RetailData", "make_retail", "SEGMENTS", "CATALOG"]

# ---------------------------------------------------------------------------- catalog
#: The product catalog: category -> item names.  ``beer`` and ``diapers`` carry
#: the planted association.
CATALOG: dict[str, list[str]] = {
    "drinks": ["beer", "cola", "orange juice", "mineral water", "red wine", "coffee", "tea"],
    "baby": ["diapers", "baby food", "baby wipes", "baby shampoo"],
    "dairy": ["whole milk", "yogurt", "butter", "cheese", "cream"],
    "bakery": ["bread", "rolls", "croissant", "cake", "pastry"],
    "fresh": ["bananas", "apples", "tomatoes", "potatoes", "onions", "salad", "citrus fruit"],
    "meat": ["chicken", "beef", "sausage", "ham", "fish"],
    "snacks": ["chips", "chocolate", "cookies", "nuts", "candy"],
    "household": ["detergent", "dish soap", "paper towels", "toilet paper", "sponges"],
    "personal care": ["shampoo", "toothpaste", "soap", "deodorant"],
    "pets": ["cat food", "dog food", "cat litter"],
}

#: Planted customer segments: share of customers, first-purchase window (days
#: from the start), purchase rate (mean orders per day, gamma shape 12),
#: dropout probability after each repeat order, a forced dropout window (days)
#: and the mean extra units per line (gamma shape 4).
SEGMENTS: dict[str, dict[str, object]] = {
    "champions": dict(share=0.10, birth=(0, 120), rate=1 / 7, p=0.0, stop=None, units=4.0),
    "loyal": dict(share=0.25, birth=(0, 240), rate=1 / 21, p=0.0, stop=None, units=1.0),
    "new": dict(share=0.15, birth=(-60, -1), rate=1 / 25, p=0.0, stop=None, units=0.5),
    "lapsed": dict(share=0.25, birth=(0, 100), rate=1 / 20, p=0.0, stop=(150, 250), units=2.0),
    "occasional": dict(share=0.25, birth=(0, 240), rate=1 / 75, p=0.0, stop=None, units=0.0),
}

_WEEKDAY_EVENING = (17, 22)  # hours [17, 22) Monday to Friday


@dataclass(frozen=True)
class RetailData:
    """A synthetic retail data set with its planted ground truth.

    Attributes
    ----------
    transactions : pandas.DataFrame
        The log: ``customer_id``, ``order_id``, ``timestamp``, ``item``,
        ``category``, ``quantity``, ``price`` (value = quantity * price).
        Returns are lines with negative quantity in orders whose id starts
        with ``"C"``.
    customers : pandas.DataFrame
        One row per customer (index ``customer_id``): demographics and the
        ground truth (see :func:`make_retail`).
    products : pandas.DataFrame
        ``item``, ``category``, ``price``, ``popularity``.
    campaign : pandas.DataFrame
        One row per customer contacted (or held out) at ``campaign_date``.
    start, end : pandas.Timestamp
        The log covers ``start <= timestamp < end``.
    campaign_date : pandas.Timestamp
        Date of the randomized campaign (equal to ``end``).

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> data = make_retail(n_customers=50, random_state=0)
    >>> data.transactions.columns.tolist()[:3], data.customers.index.name
    (['customer_id', 'order_id', 'timestamp'], 'customer_id')
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    campaign: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    campaign_date: pd.Timestamp


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def make_retail(
    n_customers: int = 2000,
    *,
    n_days: int = 730,
    start: str | pd.Timestamp = "2023-01-02",
    population: Literal["segments", "bgnbd"] = "segments",
    bgnbd_params: dict[str, float] | None = None,
    return_rate: float = 0.02,
    random_state: int | np.random.Generator | None = None,
    sequence: tuple[str, str] | None = None,
    n_outliers: int = 0,
) -> RetailData:
    """Generate a deterministic synthetic retail log with planted ground truth.

    Parameters
    ----------
    n_customers : int, default 2000
        Number of customers (each makes at least one purchase in the log).
    n_days : int, default 730
        Length of the log in days; ``end = start + n_days``.
    start : str or Timestamp, default "2023-01-02"
        First day of the log (a Monday).
    population : {"segments", "bgnbd"}, default "segments"
        ``"segments"``: five planted segments (below).  ``"bgnbd"``: every
        customer from one BG/NBD population with ``bgnbd_params`` so that the
        generating parameters can be recovered.
    bgnbd_params : dict, optional
        ``r``, ``alpha`` (purchase rate ~ Gamma(shape r, rate alpha), time in
        **days**), ``a``, ``b`` (dropout probability ~ Beta(a, b)).  Default
        ``dict(r=0.6, alpha=25.0, a=0.8, b=2.5)``.
    return_rate : float, default 0.02
        Probability that a purchase line is returned later (a line with the
        negative quantity in an order ``"C" + order id``, 1 to 14 days later).
    random_state : int, Generator or None, default None
        Seed; the same seed gives the same data (``None``: fresh randomness, as
        scikit-learn's ``make_*`` generators).
    sequence : tuple of two items, optional
        Plant the sequence "A then B in the next order": for every purchase
        order containing item ``A`` that the customer follows with another
        order, item ``B`` is added to that next order with probability 0.5
        (when not already there).  Off by default.
    n_outliers : int, default 0
        Plant this many outlier customers (chosen among customers with at
        least three orders), cycling through three kinds recorded in
        ``customers["true_outlier"]``: ``"wholesale"`` (every quantity x 60),
        ``"huge_order"`` (one order's quantities x 200) and
        ``"rapid_orders"`` (20 copies of the first order, two minutes apart).

    Returns
    -------
    RetailData
        ``transactions``, ``customers``, ``products``, ``campaign``, ``start``,
        ``end``, ``campaign_date``.

    Notes
    -----
    **Purchase process.**  Each customer makes a first purchase at a birth
    time and then repeat purchases as a Poisson process with rate
    ``true_purchase_rate`` (per day).  After each repeat purchase the customer
    drops out for good with probability ``true_dropout_prob`` (the BG/NBD
    story).  The process is simulated up to one year after ``end``.

    **Segments** (``population="segments"``; shares of customers, birth
    window in days from ``start``, mean purchase rate, mean units):

    ============  =====  ==============  ==========  =================================
    segment       share  first purchase  rate        other
    ============  =====  ==============  ==========  =================================
    champions     10%    days 0-120      1 / 9 d     3 extra units per line (big spend)
    loyal         25%    days 0-240      1 / 30 d    1 extra unit per line
    new           15%    last 75 days    1 / 25 d    0.5 extra units per line
    lapsed        25%    days 0-150      1 / 20 d    stops buying for good between days
                                                     220 and 330
    occasional    25%    days 0-240      1 / 110 d   0.2 extra units per line
    ============  =====  ==============  ==========  =================================

    Rates vary within a segment (gamma, shape 12), as do units (gamma, shape 4).
    Only ``lapsed`` customers drop out in this population; everybody else
    stays alive.

    **Ground truth** in ``customers``: ``segment``, ``true_purchase_rate``,
    ``true_dropout_prob``, ``true_dropout_time`` (the time after which the
    customer never buys again; NaT when still active one year after ``end``),
    ``true_alive`` (active at ``end``), ``true_future_orders_90d`` and
    ``true_future_orders_365d`` (orders in the 90 / 365 days after ``end``),
    ``true_uplift``.  Demographics: ``age``, ``gender``, ``region``,
    ``channel``.

    **Baskets.**  An order holds 1 + Poisson(2) distinct items drawn by
    popularity (Zipf-like) from a 52-item catalog in 10 categories; quantity per
    line is 1 + Poisson(units).  *Beer and diapers*: on weekday evenings
    (Monday-Friday, 17:00-21:59) 35% of orders contain diapers and 60% of
    those also contain beer; otherwise beer and diapers appear only through
    the popularity draw.  Within weekday-evening orders the lift of
    {diapers} -> {beer} is about 3, the largest of any pair by design.

    **Optional planted structure.**  ``sequence`` and ``n_outliers`` draw
    from the random stream after everything else, so the rest of the data is
    identical to the output without them (and the default output does not
    change).

    **Campaign.**  At ``campaign_date`` (= ``end``) every customer is
    randomized 50/50 to ``treatment``.  The response probability without
    treatment is ``true_p_control = 0.05 + 0.10 * [segment in (champions,
    loyal)]``; the treatment adds ``true_uplift = 0.15 * [age < 35] + 0.07 *
    [35 <= age < 55] + 0.05 * [channel == "app"] - 0.04 * [segment ==
    champions]`` (clipped so that probabilities stay in [0, 1]).
    ``revenue`` of a responder is lognormal (median 40).  With
    ``population="bgnbd"`` the same rule applies with ``segment`` taken as
    ``"bgnbd"`` (no segment term).

    Examples
    --------
    >>> from crmine.datasets import make_retail
    >>> data = make_retail(n_customers=200, random_state=1)
    >>> sorted(data.customers["segment"].unique())
    ['champions', 'lapsed', 'loyal', 'new', 'occasional']
    >>> list(data.transactions.columns)
    ['customer_id', 'order_id', 'timestamp', 'item', 'category', 'quantity', 'price']
    >>> bool((data.transactions["timestamp"] < data.end).all())
    True
    """
    n = _check_int("n_customers", n_customers, 1)
    n_days = _check_int("n_days", n_days, 30)
    if population not in ("segments", "bgnbd"):
        raise ValueError(f"population must be 'segments' or 'bgnbd', got {population!r}.")
    if not (0.0 <= return_rate < 1.0):
        raise ValueError(f"return_rate must be in [0, 1), got {return_rate!r}.")
    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else np.random.default_rng(random_state)
    )
    start_ts = pd.Timestamp(start).normalize()
    end_ts = start_ts + pd.Timedelta(days=n_days)
    horizon = float(n_days + 365)

    # -------------------------------------------------------------- customers
    if population == "segments":
        names = list(SEGMENTS)
        shares = np.array([SEGMENTS[s]["share"] for s in names], dtype=float)
        counts = np.floor(shares * n).astype(int)
        counts[np.argsort(-shares)[: n - counts.sum()]] += 1
        seg = np.repeat(np.arange(len(names)), counts)
        rng.shuffle(seg)
        segment = np.asarray(names, dtype=object)[seg]
        birth = np.empty(n)
        rate = np.empty(n)
        pdrop = np.zeros(n)
        stop = np.full(n, np.inf)
        units = np.empty(n)
        for k, name in enumerate(names):
            spec = SEGMENTS[name]
            idx = np.flatnonzero(seg == k)
            lo, hi = spec["birth"]  # type: ignore[misc]
            if lo < 0:
                lo, hi = n_days + lo, n_days + hi
            birth[idx] = rng.uniform(lo, hi, len(idx))
            rate[idx] = rng.gamma(20.0, float(spec["rate"]) / 20.0, len(idx))  # type: ignore[arg-type]
            pdrop[idx] = float(spec["p"])  # type: ignore[arg-type]
            if spec["stop"] is not None:
                s_lo, s_hi = spec["stop"]  # type: ignore[misc]
                stop[idx] = rng.uniform(s_lo, s_hi, len(idx))
            u = float(spec["units"])  # type: ignore[arg-type]
            units[idx] = rng.gamma(4.0, u / 4.0, len(idx)) if u > 0 else 0.0  # type: ignore[arg-type]
    else:
        params = dict(r=0.6, alpha=25.0, a=0.8, b=2.5)
        if bgnbd_params is not None:
            unknown = set(bgnbd_params) - set(params)
            if unknown:
                raise ValueError(
                    f"bgnbd_params has unknown keys {sorted(unknown)}; use r, alpha, a, b."
                )
            params.update(bgnbd_params)
        for key, val in params.items():
            if not (np.isfinite(val) and val > 0):
                raise ValueError(f"bgnbd_params[{key!r}] must be positive, got {val!r}.")
        segment = np.full(n, "bgnbd", dtype=object)
        birth = rng.uniform(0, n_days * 0.5, n)
        rate = rng.gamma(params["r"], 1.0 / params["alpha"], n)
        pdrop = rng.beta(params["a"], params["b"], n)
        stop = np.full(n, np.inf)
        units = rng.gamma(4.0, 1.0 / 4.0, n)

    # ------------------------------------------------------- purchase process
    ev_cust, ev_time = [np.arange(n)], [birth.copy()]
    t = birth.copy()
    last = birth.copy()
    dead_at = np.full(n, np.nan)  # time of the purchase after which inactive
    active = np.ones(n, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        t_next = t[idx] + rng.exponential(1.0 / rate[idx])
        ended = (t_next >= horizon) | (t_next >= stop[idx])
        forced = ~(t_next >= horizon) & (t_next >= stop[idx])
        dead_at[idx[forced]] = last[idx[forced]]
        active[idx[ended]] = False
        go = idx[~ended]
        tn = t_next[~ended]
        ev_cust.append(go)
        ev_time.append(tn)
        t[go] = tn
        last[go] = tn
        dies = rng.random(len(go)) < pdrop[go]
        dead_at[go[dies]] = tn[dies]
        active[go[dies]] = False
    cust = np.concatenate(ev_cust)
    time = np.concatenate(ev_time)
    order = np.lexsort((time, cust))
    cust, time = cust[order], time[order]
    in_log = time < n_days
    future = ~in_log
    fut90 = np.bincount(cust[future & (time < n_days + 90)], minlength=n)
    fut365 = np.bincount(cust[future], minlength=n)

    # keep the log part; give each order a wall-clock time of day
    cust, time = cust[in_log], time[in_log]
    n_ord = len(cust)
    day = np.floor(time).astype(np.int64)
    dates = start_ts + pd.to_timedelta(day, unit="D")
    weekday = np.asarray(dates.day_of_week) < 5
    evening_pick = rng.random(n_ord) < 0.35
    hour = np.where(evening_pick, rng.integers(17, 22, n_ord), rng.integers(8, 17, n_ord))
    minute = rng.integers(0, 60, n_ord)
    stamps = dates + pd.to_timedelta(hour * 60 + minute, unit="min")
    wk_evening = weekday & (hour >= _WEEKDAY_EVENING[0]) & (hour < _WEEKDAY_EVENING[1])
    order_ids = np.arange(100001, 100001 + n_ord)

    # ----------------------------------------------------------------- baskets
    items, cats = [], []
    for c, its in CATALOG.items():
        items += its
        cats += [c] * len(its)
    items_arr = np.asarray(items, dtype=object)
    n_items = len(items_arr)
    base_price = np.round(np.exp(rng.normal(1.2, 0.6, n_items)), 2)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    perm = rng.permutation(n_items)
    popularity = popularity[perm]
    beer = items.index("beer")
    diapers = items.index("diapers")
    # beer and diapers have a modest base popularity
    popularity[beer] = np.quantile(popularity, 0.55)
    popularity[diapers] = np.quantile(popularity, 0.35)
    popularity /= popularity.sum()
    size = 1 + rng.poisson(2.0, n_ord)
    line_order = np.repeat(np.arange(n_ord), size)
    line_item = rng.choice(n_items, size=len(line_order), p=popularity)
    parent = wk_evening & (rng.random(n_ord) < 0.35)
    with_beer = parent & (rng.random(n_ord) < 0.60)
    extra_o = np.concatenate([np.flatnonzero(parent), np.flatnonzero(with_beer)])
    extra_i = np.concatenate(
        [np.full(parent.sum(), diapers), np.full(with_beer.sum(), beer)]
    )
    line_order = np.concatenate([line_order, extra_o])
    line_item = np.concatenate([line_item, extra_i])
    key = pd.unique(line_order.astype(np.int64) * n_items + line_item)
    key = np.sort(key)
    line_order, line_item = key // n_items, key % n_items
    line_cust = cust[line_order]
    qty = 1 + rng.poisson(units[line_cust])
    price = base_price[line_item]
    tx = pd.DataFrame(
        {
            "customer_id": (10001 + line_cust).astype(np.int64),
            "order_id": order_ids[line_order].astype(str),
            "timestamp": stamps[line_order],
            "item": items_arr[line_item],
            "category": np.asarray(cats, dtype=object)[line_item],
            "quantity": qty.astype(np.int64),
            "price": price,
        }
    )
    if return_rate > 0:
        ret = rng.random(len(tx)) < return_rate
        lag = pd.to_timedelta(rng.integers(1, 15, int(ret.sum())), unit="D")
        r = tx.loc[ret].copy()
        r["order_id"] = "C" + r["order_id"]
        r["timestamp"] = r["timestamp"] + lag
        r["quantity"] = -r["quantity"]
        r = r.loc[r["timestamp"] < end_ts]
        tx = pd.concat([tx, r], ignore_index=True)
        tx = tx.sort_values(["timestamp", "order_id"], kind="stable", ignore_index=True)

    # ----------------------------------------------------------- demographics
    age = np.clip(np.round(rng.normal(44, 14, n)), 18, 90).astype(np.int64)
    gender = rng.choice(np.array(["female", "male"], dtype=object), n)
    region = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), n)
    channel = rng.choice(np.array(["web", "store", "app"], dtype=object), n, p=[0.45, 0.35, 0.2])

    # ---------------------------------------------------------------- campaign
    good = np.isin(segment, ["champions", "loyal"])
    p_control = 0.05 + 0.10 * good
    uplift = (
        0.15 * (age < 35)
        + 0.07 * ((age >= 35) & (age < 55))
        + 0.05 * (channel == "app")
        - 0.04 * (segment == "champions")
    )
    p_treated = np.clip(p_control + uplift, 0.0, 1.0)
    uplift = p_treated - p_control
    treatment = rng.permutation(np.arange(n) % 2)
    p_resp = np.where(treatment == 1, p_treated, p_control)
    response = (rng.random(n) < p_resp).astype(np.int64)
    revenue = np.where(response == 1, np.round(np.exp(rng.normal(np.log(40), 0.5, n)), 2), 0.0)
    ids = pd.Index(10001 + np.arange(n), name="customer_id")

    # ------------------- optional planted structure: draws after all the others
    if sequence is not None:
        tx = _plant_sequence(tx, sequence, items, cats, base_price, units, rng)
    outlier_kind = None
    n_out = _check_int("n_outliers", n_outliers, 0)
    if n_out:
        tx, outlier_kind = _plant_outliers(tx, n_out, n, rng)

    alive = np.isnan(dead_at) | (dead_at >= n_days)
    dropout_time = pd.Series(
        start_ts + pd.to_timedelta(np.where(np.isnan(dead_at), 0.0, dead_at), unit="D"),
        index=ids,
    ).where(~np.isnan(dead_at))
    customers = pd.DataFrame(
        {
            "age": age,
            "gender": gender,
            "region": region,
            "channel": channel,
            "segment": segment,
            "true_purchase_rate": rate,
            "true_dropout_prob": pdrop,
            "true_dropout_time": dropout_time.to_numpy(),
            "true_alive": alive,
            "true_future_orders_90d": fut90,
            "true_future_orders_365d": fut365,
            "true_uplift": uplift,
        },
        index=ids,
    )
    if outlier_kind is not None:
        customers["true_outlier"] = outlier_kind
    campaign = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "treatment": treatment.astype(np.int64),
            "response": response,
            "revenue": revenue,
            "true_p_control": p_control,
            "true_p_treated": p_treated,
            "true_uplift": uplift,
        }
    )
    products = pd.DataFrame(
        {"item": items_arr, "category": cats, "price": base_price, "popularity": popularity}
    )
    return RetailData(
        transactions=tx,
        customers=customers,
        products=products,
        campaign=campaign,
        start=start_ts,
        end=end_ts,
        campaign_date=end_ts,
    )


def _purchase_orders(tx: pd.DataFrame) -> pd.DataFrame:
    """One row per purchase order: customer, order id, time, sorted per customer by time."""
    buys = tx.loc[~tx["order_id"].str.startswith("C")]
    orders = buys.groupby("order_id", sort=False).agg(
        customer_id=("customer_id", "first"), timestamp=("timestamp", "first")
    )
    return orders.reset_index().sort_values(
        ["customer_id", "timestamp", "order_id"], kind="stable", ignore_index=True
    )


def _plant_sequence(
    tx: pd.DataFrame,
    sequence: tuple[str, str],
    items: list[str],
    cats: list[str],
    base_price: np.ndarray,
    units: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Add item B to the next order after every order with item A, with probability 0.5."""
    if not (isinstance(sequence, tuple) and len(sequence) == 2):
        raise ValueError(f"sequence must be a pair of items (A, B), got {sequence!r}.")
    unknown = [x for x in sequence if x not in items]
    if unknown or sequence[0] == sequence[1]:
        raise ValueError(
            f"sequence items must be two different catalog items; {unknown or sequence!r} "
            "is not. See crmine.datasets.CATALOG."
        )
    a, b = sequence
    orders = _purchase_orders(tx)
    has = tx.loc[tx["item"].isin([a, b])].groupby("item")["order_id"].agg(set)
    with_a = orders["order_id"].isin(has.get(a, set())).to_numpy()
    with_b = orders["order_id"].isin(has.get(b, set())).to_numpy()
    cust = orders["customer_id"].to_numpy()
    has_next = np.r_[cust[1:] == cust[:-1], False]
    cand = np.flatnonzero(with_a & has_next)
    take = cand[rng.random(len(cand)) < 0.5] + 1
    take = np.unique(take[~with_b[take]])
    if len(take) == 0:
        return tx
    nxt = orders.iloc[take]
    k = items.index(b)
    lines = pd.DataFrame(
        {
            "customer_id": nxt["customer_id"].to_numpy(dtype=np.int64),
            "order_id": nxt["order_id"].to_numpy(),
            "timestamp": nxt["timestamp"].to_numpy(),
            "item": np.full(len(nxt), b, dtype=object),
            "category": np.full(len(nxt), cats[k], dtype=object),
            "quantity": (1 + rng.poisson(units[nxt["customer_id"].to_numpy() - 10001])).astype(
                np.int64
            ),
            "price": np.full(len(nxt), base_price[k]),
        }
    )
    out = pd.concat([tx, lines], ignore_index=True)
    return out.sort_values(["timestamp", "order_id"], kind="stable", ignore_index=True)


def _plant_outliers(
    tx: pd.DataFrame, n_outliers: int, n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Make ``n_outliers`` customers wholesale, one-huge-order or rapid-order outliers."""
    orders = _purchase_orders(tx)
    per_cust = orders.groupby("customer_id").size()
    eligible = per_cust.index[per_cust >= 3].to_numpy()
    if n_outliers > len(eligible):
        raise ValueError(
            f"n_outliers={n_outliers} but only {len(eligible)} customers have three orders; "
            "pass fewer outliers or more customers."
        )
    chosen = rng.choice(eligible, size=n_outliers, replace=False)
    kinds = np.array(["wholesale", "huge_order", "rapid_orders"], dtype=object)
    kind = np.full(n, None, dtype=object)
    tx = tx.copy()
    qty = tx["quantity"].to_numpy().copy()
    extra = []
    next_id = int(orders["order_id"].astype(np.int64).max()) + 1
    for j, cid in enumerate(chosen):
        what = kinds[j % 3]
        kind[int(cid) - 10001] = what
        mine = orders.loc[orders["customer_id"] == cid]
        if what == "wholesale":
            qty[(tx["customer_id"] == cid).to_numpy()] *= 60
        elif what == "huge_order":
            oid = mine["order_id"].iloc[int(rng.integers(len(mine)))]
            qty[(tx["order_id"] == oid).to_numpy()] *= 200
        else:
            first = mine.iloc[0]
            lines = tx.loc[tx["order_id"] == first["order_id"]]
            for r in range(1, 21):
                when = first["timestamp"] + pd.Timedelta(minutes=2 * r)
                copy = lines.assign(order_id=str(next_id), timestamp=when)
                extra.append(copy)
                next_id += 1
    tx["quantity"] = qty
    if extra:
        tx = pd.concat([tx, *extra], ignore_index=True)
        tx = tx.sort_values(["timestamp", "order_id"], kind="stable", ignore_index=True)
    return tx, kind
