use super::{scaled_label, Unit};

#[test]
fn examples_from_pprof() {
    assert_eq!(scaled_label(1_100_000_000_i64, "nanoseconds"), "1.10s");
    assert_eq!(scaled_label(10_000_000_i64, "nanoseconds"), "10ms");
    assert_eq!(scaled_label(65_536_000_i64, "bytes"), "62.50MB");
    assert_eq!(scaled_label(1_024_000_i64, "bytes"), "1000kB");
    assert_eq!(scaled_label(0_i64, "nanoseconds"), "0");
    assert_eq!(scaled_label(0_i64, "bytes"), "0");
}

#[test]
fn time_family_goes_to_hours_without_minutes() {
    assert_eq!(scaled_label(999_i64, "ns"), "999ns");
    assert_eq!(scaled_label(1_000_i64, "ns"), "1us");
    assert_eq!(scaled_label(3_540_i64, "seconds"), "3540s");
    assert_eq!(scaled_label(5_400_i64, "s"), "1.50hrs");
    assert_eq!(scaled_label(7_200_000_000_000_i64, "nanoseconds"), "2hrs");
    assert_eq!(scaled_label(1_500_i64, "ms"), "1.50s");
    assert_eq!(scaled_label(2_i64, "hours"), "2hrs");
}

#[test]
fn byte_family_uses_1024() {
    assert_eq!(scaled_label(1023_i64, "B"), "1023B");
    assert_eq!(scaled_label(1024_i64, "bytes"), "1kB");
    assert_eq!(scaled_label(1_i64, "MB"), "1MB");
    assert_eq!(scaled_label(1536_i64, "kilobytes"), "1.50MB");
    assert_eq!(scaled_label(1_i64 << 50, "bytes"), "1PB");
    // No unit above PB.
    assert_eq!(scaled_label(1_i64 << 60, "bytes"), "1024PB");
    // Rounding can reach the next unit's size, as in pprof.
    assert_eq!(scaled_label(1_048_575_i64, "bytes"), "1024kB");
}

#[test]
fn unit_names_are_case_insensitive_and_plural() {
    assert_eq!(scaled_label(1500_i64, "NANOSECONDS"), "1.50us");
    assert_eq!(scaled_label(2048_i64, "Bytes"), "2kB");
    assert_eq!(scaled_label(1500_i64, "μs"), "1.50ms");
    assert_eq!(scaled_label(1500_i64, "µs"), "1.50ms");
    assert_eq!(scaled_label(1500_i64, "us"), "1.50ms");
    assert_eq!(scaled_label(90_i64, "secs"), "90s");
    assert_eq!(scaled_label(3_i64, "hrs"), "3hrs");
}

#[test]
fn negative_values_scale_by_magnitude() {
    assert_eq!(scaled_label(-1500_i64, "ns"), "-1.50us");
    assert_eq!(scaled_label(-2048_i64, "bytes"), "-2kB");
    assert_eq!(scaled_label(-0.001, "count"), "0");
    assert_eq!(scaled_label(-0.001, "ns"), "0");
}

#[test]
fn sub_unit_floats_stay_in_given_unit_or_scale_down() {
    assert_eq!(scaled_label(0.5, "ns"), "0.50ns");
    assert_eq!(scaled_label(0.5, "ms"), "500us");
    assert_eq!(scaled_label(0.25_f32, "bytes"), "0.25B");
}

#[test]
fn counts_print_bare_numbers() {
    for unit in [
        "count", "counts", "sample", "samples", "unit", "units", "", "COUNT",
    ] {
        assert_eq!(
            scaled_label(1_234_567_i64, unit),
            "1234567",
            "unit {unit:?}"
        );
    }
    assert_eq!(scaled_label(i64::MAX, "count"), i64::MAX.to_string());
    assert_eq!(scaled_label(2.5, "samples"), "2.50");
    assert_eq!(scaled_label(3.0, "count"), "3");
}

#[test]
fn unknown_units_are_appended() {
    assert_eq!(scaled_label(42_i64, "widgets"), "42 widgets");
    assert_eq!(scaled_label(1.5, "GCU"), "1.50 GCU");
    assert_eq!(scaled_label(0_i64, "widgets"), "0");
}

#[test]
fn small_literals_and_non_finite_values() {
    assert_eq!(scaled_label(1024, "bytes"), "1kB");
    assert_eq!(scaled_label(7_u32, "ms"), "7ms");
    assert_eq!(scaled_label(f64::NAN, "ns"), "NaN");
    assert_eq!(scaled_label(f64::INFINITY, "bytes"), "inf");
    assert_eq!(scaled_label(f64::NEG_INFINITY, "count"), "-inf");
}

#[test]
fn parsed_unit_is_reusable() {
    let unit = Unit::parse("nanoseconds");
    assert_eq!(unit.label(1_i64), "1ns");
    assert_eq!(unit.label(1_000_000_000_i64), "1s");
    assert_eq!(unit, Unit::parse("NS"));
    assert_ne!(Unit::parse("widgets"), Unit::parse("count"));
}
