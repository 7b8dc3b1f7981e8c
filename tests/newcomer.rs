//! A newcomer's second hour (issue 35, in part): what a first try with a small or a mistyped
//! input meets is one line naming the fix, and nothing written.

mod common;
use common::*;

/// A dated CSV of `rows` rows of two features.
fn short_csv(name: &str, rows: usize) -> std::path::PathBuf {
    let path = scratch(name).join("short.csv");
    write_series(&path, "date,temp_max,wind", rows, |i| format!("{},{},{}", month(2000, i), i % 3, (i * 7) % 5));
    path
}

#[test]
fn a_series_too_short_for_a_test_tail_is_refused_saying_how_many_rows_it_takes() {
    let csv = short_csv("newcomer-five", 5);
    let out = csv.with_file_name("run");
    let r = run(&["train", "--data", s(&csv), "--out", s(&out)]);
    assert_clean_error(
        &r,
        1,
        "the series has 5 rows: --seq-len 4 leaves 1 window, and --test-fraction 0.2 holds out none for the test tail (that takes 5 windows, 9 rows): give a longer series, a smaller --seq-len, or a larger --test-fraction",
    );
    assert!(!out.exists(), "nothing written");
    // the fixes it names work: a smaller window and a larger fraction (4 windows, a quarter of them)
    let fixed = run(&["train", "--data", s(&csv), "--out", s(&out), "--seq-len", "1", "--test-fraction", "0.25", "--epochs", "1"]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let nine = short_csv("newcomer-nine", 9);
    let r = run(&["train", "--data", s(&nine), "--out", s(&nine.with_file_name("run")), "--epochs", "1"]);
    assert_eq!(r.code, 0, "9 rows, as the line says: {}", r.stderr);
}

#[test]
fn spaces_after_the_commas_of_columns_are_forgiven() {
    let csv = short_csv("newcomer-columns", 40);
    let out = csv.with_file_name("run");
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--columns", "temp_max, wind", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(config.contains("\"features\": [\n    \"temp_max\",\n    \"wind\"\n  ]"), "{config}");
}

#[test]
fn a_run_directory_that_is_not_one_is_named_with_the_fix() {
    let dir = scratch("newcomer-nope");
    let missing = dir.join("nope");
    for command in ["predict", "forecast"] {
        let r = run(&[command, s(&missing)]);
        assert_clean_error(
            &r,
            1,
            &format!("{}: no such run directory (give the --out of a `vanilla-rnn train`, or --weights FILE)", missing.display()),
        );
    }
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let r = run(&["forecast", s(&dir.join("empty"))]);
    assert_clean_error(&r, 1, "has no weights.safetensors: not a run that `vanilla-rnn train` finished");
}

#[test]
fn a_series_named_in_the_wrong_case_gets_the_right_name() {
    let dir = scratch("newcomer-case");
    let csv = dir.join("two.csv");
    write_series(&csv, "country,year,v", 40, |i| format!("{},{},{}", if i < 20 { "Canada" } else { "Chile" }, 2000 + i % 20, (i * 3) % 7));
    let out = dir.join("run");
    let r = run(&["train", "--data", s(&csv), "--series-column", "country", "--seq-len", "2", "--epochs", "1", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_clean_error(
        &run(&["forecast", s(&out), "--series", "canada"]),
        1,
        "--series canada: no such series in the country column; did you mean --series Canada?",
    );
    assert_clean_error(&run(&["forecast", s(&out), "--series", "Peru"]), 1, "(its series: Canada, Chile)");
}

#[test]
fn in_a_file_of_many_a_series_too_short_for_a_test_tail_of_its_own_trains_beside_the_rest() {
    let dir = scratch("newcomer-many-short");
    let csv = dir.join("many.csv");
    // a of 30 months, b of 6: b's 2 windows hold out none for its own test tail
    write_series(&csv, "id,date,v", 36, |i| match i {
        0..30 => format!("a,{},{}", month(2000, i), (i * 7) % 11),
        _ => format!("b,{},{}", month(2000, i - 30), i % 3),
    });
    let out = dir.join("run");
    let r = run(&["train", "--data", s(&csv), "--series-column", "id", "--seq-len", "4", "--epochs", "1", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baselines = std::fs::read_to_string(out.join("baselines.csv")).unwrap();
    assert!(baselines.contains("\nb,persistence,nan"), "b is scored on no test window: {baselines}");
}

#[test]
fn a_column_whose_name_begins_with_a_dash_trains_predicts_and_resumes() {
    let dir = scratch("newcomer-dash");
    let csv = dir.join("dash.csv");
    write_series(&csv, "date,-x,y", 40, |i| format!("{},{},{}", month(2000, i), i % 5, i % 7));
    let out = dir.join("run");
    let r = run(&["train", "--data", s(&csv), "--columns=-x", "--epochs", "1", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // config.json's settings go through the flags' own parsers again when read back
    assert_eq!(run(&["predict", s(&out), "--out", s(&dir.join("p.csv"))]).code, 0);
    let r = run(&["train", "--resume", s(&out), "--epochs", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_time_that_repeats_within_a_series_is_refused_whatever_series_column_says() {
    let dir = scratch("newcomer-coarse-key");
    let csv = dir.join("gapminder.csv");
    // the country is the series; the continent is a coarser key, under which each year repeats
    let countries = [("Europe", "France"), ("Europe", "Spain"), ("Asia", "Japan")];
    write_series(&csv, "continent,country,year,v", 60, |i| {
        let (continent, country) = countries[i / 20];
        format!("{continent},{country},{},{}", 1950 + i % 20, (i * 7) % 13)
    });
    let out = dir.join("run");
    // (the time column named: which column a file's time is, unnamed, is the column guessing still to mend)
    let r = run(&["train", "--data", s(&csv), "--series-column", "continent", "--time-column", "year", "--columns", "v", "--out", s(&out)]);
    assert_clean_error(&r, 1, "series Europe has the time year 1950 twice: each series needs one row per time");
    assert!(!out.exists(), "nothing written");
    let r = run(&[
        "train",
        "--data",
        s(&csv),
        "--series-column",
        "country",
        "--time-column",
        "year",
        "--columns",
        "v",
        "--seq-len",
        "2",
        "--epochs",
        "1",
        "--out",
        s(&out),
    ]);
    assert_eq!(r.code, 0, "the finer key: {}", r.stderr);
}

#[test]
fn dates_written_jan_1_2000_are_a_monthly_calendar_and_continue_in_their_form() {
    let dir = scratch("newcomer-named-dates");
    let csv = dir.join("stocks.csv");
    let name = |i: usize| {
        format!("{} 1 {}", ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][i % 12], 2000 + i / 12)
    };
    write_series(&csv, "date,price", 60, |i| format!("{},{}", name(i), 100 + (i * 7) % 13));
    let out = dir.join("run");
    let r = run(&["train", "--data", s(&csv), "--epochs", "1", "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!((config["time_column"].as_str(), config["season"].as_u64()), (Some("date"), Some(12)), "a season, where there was none");
    assert_eq!(run(&["forecast", s(&out), "--steps", "2"]).code, 0);
    let forecast = std::fs::read_to_string(out.join("forecast.csv")).unwrap();
    assert!(forecast.contains(",Jan 1 2005,") && forecast.contains(",Feb 1 2005,"), "{forecast}");
}

/// gapminder's shape: each country's rows by year, a continent beside it.
fn gapminder(name: &str) -> std::path::PathBuf {
    let path = scratch(name).join("gapminder.csv");
    let countries = [("Chad", "Africa"), ("Peru", "Americas"), ("Laos", "Asia")];
    let rows: Vec<String> = countries
        .iter()
        .enumerate()
        .flat_map(|(k, (c, cont))| (0..30).map(move |i| format!("{c},{cont},{},{}", 1952 + i, 40.0 + k as f64 + 0.3 * i as f64)))
        .collect();
    std::fs::write(&path, format!("country,continent,year,lifeExp\n{}\n", rows.join("\n"))).unwrap();
    path
}

#[test]
fn a_text_column_of_names_is_never_taken_for_the_time_and_its_refusal_names_the_likelier_fix_first() {
    let csv = gapminder("newcomer-names");
    let out = csv.with_file_name("run");
    // the year repeats: the countries are each row's series
    let r = run(&["train", "--data", s(&csv), "--out", s(&out)]);
    assert_clean_error(&r, 1, "is not a number (the name of each row's series? --series-column names it, to train one model across them; or leave the column out: --columns names the ones to learn)");
    assert!(r.stderr.contains("column 1 (country): \"Chad\""), "{}", r.stderr);
    // --columns: the year is the time, and it repeats (it took the country names for the time)
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--columns", "lifeExp"]);
    assert_clean_error(&r, 1, "the time column year repeats 1952 (data rows 1 and 31): a file of many series? --series-column");
    // --series-column country: the continent is a category, to be left out
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--series-column", "country"]);
    assert_clean_error(&r, 1, "column 2 (continent): \"Africa\" is not a number (leave the column out: --columns names the ones to learn)");
    assert!(!out.exists(), "nothing written");
    // the fixes together train, on the years
    let r = run(&["train", "--data", s(&csv), "--out", s(&out), "--series-column", "country", "--columns", "lifeExp", "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(config.contains("\"time_column\": \"year\""), "{config:.400}");
}

#[test]
fn the_summary_says_once_what_the_reader_chose_by_itself() {
    let dir = scratch("newcomer-choices");
    let data = |name: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let said = |args: &[&str]| {
        let r = run(&[&["train", "--epochs", "1", "--out", s(&dir.join("run"))], args].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.lines().filter(|l| l.starts_with("read ")).map(String::from).collect::<Vec<_>>()
    };
    let monthly = data("elec_equip.csv");
    let line = format!("read {}: time column month (season 12, from its dates); features index (1 of 2 columns)", monthly.display());
    assert_eq!(said(&["--data", s(&monthly)]), [line]);
    let many = data("grunfeld.csv");
    let line = format!("read {}: time column year (no season); features inv (1 of 6 columns); 10 series by firm", many.display());
    assert_eq!(said(&["--data", s(&many), "--series-column", "firm", "--columns", "inv"]), [line]);
    let line = format!("read {}: time column month (season 4, from --season); features index (1 of 2 columns)", monthly.display());
    assert_eq!(said(&["--data", s(&monthly), "--season", "4"]), [line]);
    assert!(said(&[]).is_empty(), "the circle: nothing was read");
}

#[test]
fn macrodatas_year_and_quarter_are_one_quarterly_time_column() {
    let path = scratch("newcomer-macrodata").join("macrodata.csv");
    write_series(&path, "year,quarter,realgdp,infl", 80, |i| {
        format!(
            "{:.1},{:.1},{},{}",
            1959 + i / 4,
            (i % 4 + 1) as f64,
            2700.0 + 30.0 * i as f64 + (i % 4) as f64 * 5.0,
            (i % 7) as f64 * 0.3
        )
    });
    let out = path.with_file_name("run");
    let r = run(&["train", "--data", s(&path), "--out", s(&out), "--epochs", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("time column year+quarter (season 4, from its dates); features realgdp, infl (2 of 4 columns)"),
        "{}",
        r.stdout
    );
    let r = run(&["forecast", s(&out), "--steps", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast = std::fs::read_to_string(out.join("forecast.csv")).unwrap();
    assert!(forecast.contains(",1979-Q1,") && forecast.contains(",1979-Q2,"), "the quarters go on: {forecast:.300}");
}

#[test]
fn the_forecasts_headline_names_its_measures() {
    let dir = scratch("newcomer-headline");
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/elec_equip.csv");
    let out = dir.join("run");
    assert_eq!(run(&["train", "--quiet", "--epochs", "2", "--data", s(&csv), "--out", s(&out)]).code, 0);
    let r = run(&["forecast", s(&out), "--steps", "6"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // persistence's measure (MSE) and the MASE's, each named, so that the two never read as one
    let line = r.stdout.lines().find(|l| l.starts_with("closed loop from")).unwrap();
    let said = line.split("); ").nth(1).unwrap();
    assert!(said.starts_with("ahead of persistence (the last value held) at "), "{line}");
    assert!(said.contains(" of 6 horizons by MSE; MASE ") && said.contains(" over h=1..6"), "{line}");
    // the figure: the forecast's panel, and the error at each horizon beneath it; with one
    // horizon there is no line to draw, and no empty panel
    let height = || image::open(out.join("plots/forecast.png")).unwrap().height();
    assert_eq!(height(), 2 * 330);
    assert_eq!(run(&["forecast", s(&out), "--steps", "1"]).code, 0);
    assert_eq!(height(), 330);
}

#[test]
fn each_feature_of_a_csv_series_gets_its_own_panel_up_to_eight() {
    for (features, panels) in [(3, 3), (12, 8)] {
        let path = scratch(&format!("newcomer-panels-{features}")).join("wide.csv");
        let header: Vec<String> = std::iter::once("month".to_string()).chain((0..features).map(|j| format!("f{j}"))).collect();
        // each feature on a scale of its own, 10^j apart: one axis would flatten all but the last
        write_series(&path, &header.join(","), 60, |i| {
            std::iter::once(month(2000, i))
                .chain((0..features).map(|j| format!("{}", 10f64.powi(j as i32) * (1.0 + (i % 7) as f64))))
                .collect::<Vec<_>>()
                .join(",")
        });
        let out = path.with_file_name("run");
        let r = run(&["train", "--quiet", "--epochs", "1", "--seq-len", "2", "--target", "level", "--data", s(&path), "--out", s(&out)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let png = image::open(out.join("plots/data.png")).unwrap();
        assert_eq!((png.width(), png.height()), (1400, 260 * panels), "{features} features");
    }
}

#[test]
fn statsmodels_macrodata_trains_as_it_is_shipped() {
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/macrodata.csv");
    let out = scratch("newcomer-macrodata-real").join("run");
    let r = run(&["train", "--epochs", "2", "--data", s(&csv), "--out", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "time column year+quarter (season 4, from its dates); features realgdp, realcons, realinv, ... and 9 more (12 of 14 columns)"
        ),
        "{}",
        r.stdout
    );
    // 12 features: the first 8 drawn, a panel each, the rest said
    let png = image::open(out.join("plots/data.png")).unwrap();
    assert_eq!(png.height(), 8 * 260);
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert!(predictions.contains(",2009-Q3,"), "the last quarter labels its row");
}

/// One of vega-datasets' files (tests/data/SOURCES.md).
fn vega(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vega").join(name)
}

#[test]
fn vegas_files_train_with_the_flags_their_first_message_names() {
    let out = scratch("newcomer-vega").join("run");
    let train = |csv: &str, flags: &[&str]| run(&[&["train", "--epochs", "1", "--data", s(&vega(csv)), "--out", s(&out)], flags].concat());
    // a category beside dates that never repeat: leave it out
    let r = train("seattle-weather.csv", &[]);
    assert_clean_error(&r, 1, "(weather): \"drizzle\" is not a number (leave the column out: --columns");
    let r = train("seattle-weather.csv", &["--columns", "precipitation,temp_max,temp_min,wind"]);
    assert!(r.code == 0 && r.stdout.contains("time column date (season 7, from its dates)"), "{}", r.stdout);
    // names in blocks, or beside dates that repeat: each row's series
    for (csv, column, said) in [("stocks.csv", "symbol", "5 series by symbol"), ("iowa-electricity.csv", "source", "3 series by source")] {
        let r = train(csv, &[]);
        assert_clean_error(&r, 1, "is not a number (the name of each row's series? --series-column names it");
        let r = train(csv, &["--series-column", column]);
        assert!(r.code == 0 && r.stdout.contains(said), "{csv}: {}", r.stdout);
    }
    // 23 numeric columns: trained as they are, 8 of them drawn
    let r = train("us-employment.csv", &[]);
    assert!(r.code == 0 && r.stdout.contains("(23 of 24 columns)"), "{}", r.stdout);
    assert_eq!(image::open(out.join("plots/data.png")).unwrap().height(), 8 * 260);
    // and its forecast: a panel for each of the 8, then the error at each horizon
    let r = run(&["forecast", s(&out), "--steps", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(image::open(out.join("plots/forecast.png")).unwrap().height(), (8 + 1) * 330);
}

#[test]
fn predictions_png_marks_where_the_validation_and_the_test_windows_begin() {
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/elec_equip.csv");
    let dir = scratch("newcomer-splits");
    // the pixels of each split's line: purple where validation begins, red where the test does
    let lines = |name: &str, flags: &[&str]| -> (usize, usize) {
        let out = dir.join(name);
        let r = run(&[&["train", "--quiet", "--epochs", "1", "--data", s(&csv), "--out", s(&out)], flags].concat());
        assert_eq!(r.code, 0, "{}", r.stderr);
        let png = image::open(out.join("plots/predictions.png")).unwrap().to_rgb8();
        let count = |rgb: [u8; 3]| png.pixels().filter(|p| p.0 == rgb).count();
        (count([148, 103, 189]), count([214, 39, 40]))
    };
    let (validation, test) = lines("default", &[]);
    assert!(validation > 200 && test > 200, "both lines drawn: {validation} and {test} pixels");
    let (validation, test) = lines("no-validation", &["--val-fraction", "0"]);
    assert!(validation == 0 && test > 200, "no validation windows, no line: {validation} and {test} pixels");
}

#[test]
fn vegas_hourly_sf_temps_trains_and_is_forecast_by_a_candidate_where_the_mean_errs_far_more() {
    let out = scratch("newcomer-sf-temps").join("run");
    let r = run(&["train", "--epochs", "2", "--data", s(&vega("sf-temps.csv")), "--out", s(&out)]);
    assert!(r.code == 0 && r.stdout.contains("time column date (season 24, from its dates)"), "{}{}", r.stdout, r.stderr);
    // a day's season, where Theta and the damped trend err many times the RNN: the mean yields
    let r = run(&["forecast", s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("forecast 24 steps from 2011/01/01 00:00:00 (row 8759) with a 90% band, by the RNN ("), "{}", r.stdout);
}

#[test]
fn plotlys_gapminder_trains_with_the_flags_its_messages_name_in_turn() {
    let csv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plotly/gapminder.csv");
    let out = scratch("newcomer-gapminder-real").join("run");
    let train = |flags: &[&str]| run(&[&["train", "--epochs", "1", "--data", s(&csv), "--out", s(&out)], flags].concat());
    // the countries first: each row's series, the likelier fix named first
    let r = train(&[]);
    assert_clean_error(&r, 1, "(country): \"Afghanistan\" is not a number (the name of each row's series? --series-column names it");
    // then the continent, a category beside them: leave it out
    let r = train(&["--series-column", "country"]);
    assert_clean_error(&r, 1, "(continent): \"Asia\" is not a number (leave the column out: --columns");
    let r = train(&["--series-column", "country", "--columns", "lifeExp,pop,gdpPercap"]);
    assert!(
        r.code == 0 && r.stdout.contains("features lifeExp, pop, gdpPercap (3 of 10 columns); 142 series by country"),
        "{}{}",
        r.stdout,
        r.stderr
    );
}
