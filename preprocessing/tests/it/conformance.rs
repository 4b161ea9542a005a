//! Conformance suite registrations: every ndarray transformer of the crate, in its main
//! configurations.

use oxlearn_preprocessing::*;

oxlearn_core::check_estimator!(standard_scaler, StandardScaler::default());
oxlearn_core::check_estimator!(standard_scaler_no_mean, StandardScaler::default().with_mean(false));
oxlearn_core::check_estimator!(minmax_scaler, MinMaxScaler::default().clip(true),
    invalid: [MinMaxScaler::default().feature_range(1.0, 0.0)]);
oxlearn_core::check_estimator!(maxabs_scaler, MaxAbsScaler::default());
oxlearn_core::check_estimator!(robust_scaler, RobustScaler::default().unit_variance(true),
    invalid: [RobustScaler::default().quantile_range(80.0, 20.0)]);
oxlearn_core::check_estimator!(normalizer_l2, Normalizer::default());
oxlearn_core::check_estimator!(normalizer_l1, Normalizer::default().norm(Norm::L1));
oxlearn_core::check_estimator!(normalizer_max, Normalizer::default().norm(Norm::Max));
oxlearn_core::check_estimator!(simple_imputer_mean, SimpleImputer::mean().add_indicator(true),
    invalid: [SimpleImputer::constant(f64::INFINITY)]);
oxlearn_core::check_estimator!(simple_imputer_median, SimpleImputer::median());
oxlearn_core::check_estimator!(simple_imputer_most_frequent, SimpleImputer::most_frequent());
oxlearn_core::check_estimator!(simple_imputer_constant, SimpleImputer::constant(-1.0));
oxlearn_core::check_estimator!(one_hot_encoder, OneHotEncoder::default().handle_unknown_ignore(),
    invalid: [OneHotEncoder::default().min_frequency(MinFrequency::Fraction(2.0)), OneHotEncoder::default().max_categories(0)]);
oxlearn_core::check_estimator!(
    one_hot_encoder_infrequent,
    OneHotEncoder::default()
        .min_frequency(MinFrequency::Count(3))
        .handle_unknown(HandleUnknown::InfrequentIfExist)
        .drop(OneHotDrop::IfBinary)
);
oxlearn_core::check_estimator!(ordinal_encoder, OrdinalEncoder::default().use_encoded_value(-1.0),
    invalid: [OrdinalEncoder::default().use_encoded_value(0.5)]);
oxlearn_core::check_estimator!(polynomial_features, PolynomialFeatures::default(),
    invalid: [PolynomialFeatures::default().degree(0).include_bias(false)]);
oxlearn_core::check_estimator!(
    polynomial_features_interaction,
    PolynomialFeatures::default().degree(3).interaction_only(true).include_bias(false)
);
oxlearn_core::check_estimator!(kbins_quantile, KBinsDiscretizer::default(), invalid: [KBinsDiscretizer::default().n_bins(1)]);
oxlearn_core::check_estimator!(
    kbins_uniform_ordinal,
    KBinsDiscretizer::default().strategy(BinStrategy::Uniform).encode(BinEncode::Ordinal)
);
oxlearn_core::check_estimator!(kbins_kmeans, KBinsDiscretizer::default().strategy(BinStrategy::Kmeans).n_bins(3));
oxlearn_core::check_estimator!(function_transformer_identity, FunctionTransformer::default());
oxlearn_core::check_estimator!(function_transformer_closure, FunctionTransformer::new(|x| x.mapv(|v| v * 2.0)),
    expected_failures: [serde_round_trip => "a closure cannot be serialized; serde returns an error by design"]);
oxlearn_core::check_estimator!(
    column_transformer,
    ColumnTransformer::new().add("scale", StandardScaler::default(), Columns::indices([0])).add(
        "rest",
        SimpleImputer::mean().then(MinMaxScaler::default()),
        Columns::predicate(|n, _| n != "x0")
    )
);
oxlearn_core::check_estimator!(column_transformer_numeric, ColumnTransformer::new().add("num", StandardScaler::default(), Columns::numeric()),
    invalid: [ColumnTransformer::new().add("a", StandardScaler::default(), Columns::numeric()).add("a", MaxAbsScaler::default(), Columns::numeric())]);
