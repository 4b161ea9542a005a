"""Golden outputs of scikit-learn's preprocessing transformers for oxlearn-preprocessing's tests.

Writes preprocessing/tests/it/golden/transformers.json: one case per transformer configuration,
each with the fit frame, a test frame, scikit-learn's transform of the test frame and its
get_feature_names_out(). Columns are typed "float", "int" or "str"; missing values are null.

Run from the repository root: python3 scripts/golden_preprocessing.py (scikit-learn 1.9.1).
"""
import json
import math
import os

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer, LabelEncoder, MaxAbsScaler, MinMaxScaler, Normalizer, OneHotEncoder,
    OrdinalEncoder, PolynomialFeatures, RobustScaler, StandardScaler,
)

rng = np.random.default_rng(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "preprocessing", "tests", "it", "golden")


def numeric_frame(n, nan=False, seed=0):
    r = np.random.default_rng(seed)
    df = pd.DataFrame({
        "a": r.normal(3.0, 2.0, n).round(3),
        "b": r.exponential(5.0, n).round(3),
        "c": r.uniform(-10, 10, n).round(3),
    })
    if nan:
        for col, every in (("a", 5), ("b", 7)):
            df.loc[df.index % every == 1, col] = np.nan
    return df


def cat_frame(n, seed=0, unseen=False):
    r = np.random.default_rng(seed)
    islands = ["Biscoe", "Dream", "Torgersen"] + (["Atlantis"] if unseen else [])
    p = [0.5, 0.3, 0.15, 0.05] if unseen else [0.55, 0.33, 0.12]
    isl = r.choice(islands, n, p=p).astype(object)
    sex = r.choice(["female", "male"], n).astype(object)
    isl[::9] = None
    grade = r.choice([1, 2, 3, 4, 5], n, p=[0.4, 0.3, 0.2, 0.07, 0.03])
    return pd.DataFrame({"island": isl, "sex": sex, "grade": grade})


def enc_frame(df):
    cols, types = {}, {}
    for c in df.columns:
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            types[c] = "str"
            cols[c] = [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in s]
        elif np.issubdtype(s.dtype, np.integer):
            types[c] = "int"
            cols[c] = [int(v) for v in s]
        else:
            types[c] = "float"
            cols[c] = [None if math.isnan(v) else float(v) for v in s]
    return {"order": list(df.columns), "columns": cols, "dtypes": types}


def enc_value(v):
    if isinstance(v, str):
        return v
    v = float(v)
    return None if math.isnan(v) else v


def enc_matrix(a):
    """Rows of the output; string outputs (an imputer on string columns) stay strings."""
    return [[enc_value(v) for v in row] for row in np.asarray(a, dtype=object)]


cases = []


def case(name, transformer, params, est, fit_df, test_df):
    est.fit(fit_df)
    out = est.transform(test_df)
    if hasattr(out, "toarray"):
        out = out.toarray()
    cases.append({
        "name": name, "transformer": transformer, "params": params,
        "fit": enc_frame(fit_df), "test": enc_frame(test_df),
        "out": enc_matrix(out), "names": [str(n) for n in est.get_feature_names_out()],
    })


num_fit, num_test = numeric_frame(40, nan=True, seed=1), numeric_frame(12, nan=True, seed=2)
dense_fit, dense_test = numeric_frame(40, seed=3), numeric_frame(12, seed=4)

case("standard", "StandardScaler", {}, StandardScaler(), num_fit, num_test)
case("standard_no_mean", "StandardScaler", {"with_mean": False}, StandardScaler(with_mean=False), num_fit, num_test)
case("minmax", "MinMaxScaler", {}, MinMaxScaler(), num_fit, num_test)
case("minmax_range_clip", "MinMaxScaler", {"feature_range": [-1.0, 2.0], "clip": True},
     MinMaxScaler(feature_range=(-1, 2), clip=True), num_fit, num_test * 1.5)
case("maxabs", "MaxAbsScaler", {}, MaxAbsScaler(), num_fit, num_test)
case("robust", "RobustScaler", {}, RobustScaler(), num_fit, num_test)
case("robust_range_unit", "RobustScaler", {"quantile_range": [10.0, 90.0], "unit_variance": True},
     RobustScaler(quantile_range=(10, 90), unit_variance=True), num_fit, num_test)
for norm in ("l1", "l2", "max"):
    case(f"normalizer_{norm}", "Normalizer", {"norm": norm}, Normalizer(norm=norm), dense_fit, dense_test)

for strat in ("mean", "median", "most_frequent"):
    case(f"impute_{strat}", "SimpleImputer", {"strategy": strat, "add_indicator": strat == "mean"},
         SimpleImputer(strategy=strat, add_indicator=strat == "mean"), num_fit.round(0), num_test)
case("impute_constant", "SimpleImputer", {"strategy": "constant", "fill_value": -1.0},
     SimpleImputer(strategy="constant", fill_value=-1.0), num_fit, num_test)
cat_fit, cat_test = cat_frame(60, seed=5), cat_frame(20, seed=6)
strs_fit, strs_test = cat_fit[["island", "sex"]], cat_test[["island", "sex"]]
case("impute_str_most_frequent", "SimpleImputer", {"strategy": "most_frequent", "add_indicator": True},
     SimpleImputer(strategy="most_frequent", add_indicator=True), strs_fit, strs_test)
case("impute_str_constant", "SimpleImputer", {"strategy": "constant"},
     SimpleImputer(strategy="constant", fill_value="missing_value"), strs_fit, strs_test)

ohe_test = cat_frame(20, seed=7, unseen=True)
case("onehot", "OneHotEncoder", {}, OneHotEncoder(sparse_output=False), cat_fit, cat_test)
case("onehot_ignore", "OneHotEncoder", {"handle_unknown": "ignore"},
     OneHotEncoder(sparse_output=False, handle_unknown="ignore"), cat_fit, ohe_test)
case("onehot_drop_first", "OneHotEncoder", {"drop": "first"},
     OneHotEncoder(sparse_output=False, drop="first"), cat_fit, cat_test)
case("onehot_drop_if_binary", "OneHotEncoder", {"drop": "if_binary"},
     OneHotEncoder(sparse_output=False, drop="if_binary"), cat_fit, cat_test)
case("onehot_min_frequency", "OneHotEncoder", {"min_frequency": 8, "handle_unknown": "infrequent_if_exist"},
     OneHotEncoder(sparse_output=False, min_frequency=8, handle_unknown="infrequent_if_exist"), cat_fit, ohe_test)
case("onehot_min_frequency_frac", "OneHotEncoder", {"min_frequency": 0.2, "handle_unknown": "ignore"},
     OneHotEncoder(sparse_output=False, min_frequency=0.2, handle_unknown="ignore"), cat_fit, ohe_test)
case("onehot_max_categories", "OneHotEncoder", {"max_categories": 3},
     OneHotEncoder(sparse_output=False, max_categories=3), cat_fit, cat_test)
case("onehot_numeric", "OneHotEncoder", {}, OneHotEncoder(sparse_output=False),
     num_fit.round(0).clip(-2, 4), num_fit.round(0).clip(-2, 4).iloc[:10])
case("ordinal", "OrdinalEncoder", {}, OrdinalEncoder(), cat_fit, cat_test)
case("ordinal_unknown", "OrdinalEncoder", {"unknown_value": -1.0, "encoded_missing_value": -2.0},
     OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2), cat_fit, ohe_test)

case("poly2", "PolynomialFeatures", {}, PolynomialFeatures(), dense_fit, dense_test)
case("poly3_interaction_nobias", "PolynomialFeatures", {"degree": 3, "interaction_only": True, "include_bias": False},
     PolynomialFeatures(degree=3, interaction_only=True, include_bias=False), dense_fit, dense_test)
for strat in ("uniform", "quantile", "kmeans"):
    for enc in ("ordinal", "onehot"):
        case(f"kbins_{strat}_{enc}", "KBinsDiscretizer", {"n_bins": 4, "strategy": strat, "encode": enc},
             KBinsDiscretizer(n_bins=4, strategy=strat, encode="onehot-dense" if enc == "onehot" else "ordinal"),
             dense_fit, dense_test)

# A mixed frame through a ColumnTransformer (numeric and string columns with nulls, unseen categories).
mixed_fit = pd.concat([num_fit, cat_fit.iloc[:40].reset_index(drop=True)], axis=1)
mixed_test = pd.concat([num_test, ohe_test.iloc[:12].reset_index(drop=True)], axis=1)
ct = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["a", "b", "c"]),
    ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
     ["island", "sex"]),
], remainder="passthrough")
case("column_transformer", "ColumnTransformer", {}, ct, mixed_fit, mixed_test)

le_y = ["tokyo", "paris", "tokyo", "amsterdam", "paris"]
le = LabelEncoder().fit(le_y)
labels = {"y": le_y, "classes": list(le.classes_), "encoded": [int(v) for v in le.transform(le_y)]}

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "transformers.json"), "w") as f:
    json.dump({"sklearn": __import__("sklearn").__version__, "cases": cases, "label_encoder": labels}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases")
