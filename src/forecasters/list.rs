//! The baselines a run is scored against, one line each: adding a forecaster is its file and a
//! line here.

use super::drift::Drift;
use super::forecaster::{Baseline, Forecaster};
use super::linear::Linear;
use super::naive2::Naive2;
use super::persistence::Persistence;
use super::seasonal_naive::SeasonalNaive;
use super::theta::ThetaBaseline;
use crate::data::Windows;
use anyhow::Result;

/// The baselines, fitted, in the order the files list them.
pub fn baselines(windows: &Windows, season: Option<usize>) -> Result<Vec<Box<dyn Forecaster>>> {
    let mut list: Vec<Box<dyn Forecaster>> = vec![];
    fitted::<Persistence>(&mut list, windows, season)?;
    fitted::<Linear>(&mut list, windows, season)?;
    fitted::<SeasonalNaive>(&mut list, windows, season)?;
    fitted::<Drift>(&mut list, windows, season)?;
    fitted::<Naive2>(&mut list, windows, season)?;
    fitted::<ThetaBaseline>(&mut list, windows, season)?;
    Ok(list)
}

fn fitted<F: Baseline + 'static>(list: &mut Vec<Box<dyn Forecaster>>, windows: &Windows, season: Option<usize>) -> Result<()> {
    if let Some(f) = F::fit(windows, season)? {
        list.push(Box::new(f));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Windows;
    use crate::data::{ScalingRule, Series, Split};

    fn windows(rows: Vec<Vec<f64>>) -> Windows {
        let series = Series { names: vec!["a".into()], rows: rows.into(), time: None, gaps: 0, groups: None };
        Windows::new(series, ScalingRule::Unscaled, 2, Split { test_fraction: 0.25, val_fraction: 0.0 }).unwrap()
    }

    fn loss_of(list: &[Box<dyn Forecaster>], name: &str, w: &Windows) -> f64 {
        list.iter().find(|f| f.name() == name).unwrap().test_loss(w).unwrap()
    }

    #[test]
    fn each_baselines_test_predictions_give_its_test_loss() {
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64 + 0.1 * (i as f64).sin()]).collect());
        let list = baselines(&w, Some(3)).unwrap();
        let names: Vec<&str> = list.iter().map(|f| f.name()).collect();
        assert_eq!(names, ["persistence", "linear", "seasonal_naive", "drift", "naive2", "theta"]);
        let test = &w.targets[w.test_start()..];
        for f in &list {
            let p = f.test_predictions(&w).unwrap();
            let mse = (0..test.len()).map(|i| (p.get(i).unwrap()[0] - w.series.rows[test[i]][0] as f32 as f64).powi(2)).sum::<f64>()
                / test.len() as f64;
            let want = f.test_loss(&w).unwrap();
            assert!((mse - want).abs() <= 1e-6 * want, "{}: {mse} against {want}", f.name());
        }
    }

    #[test]
    fn persistence_is_the_last_value_seen() {
        // 0 1 0 1 ...: persistence is always off by one
        let w = windows((0..42).map(|i| vec![(i % 2) as f64]).collect());
        assert_eq!(loss_of(&baselines(&w, None).unwrap(), "persistence", &w), 1.0);
    }

    #[test]
    fn the_seasonal_naive_is_the_value_one_season_earlier_and_only_with_a_season() {
        // a period of 3 with a trend of 10 per period: one season back is off by exactly 10
        let w = windows((0..40).map(|i| vec![(i % 3) as f64 + 10.0 * (i / 3) as f64]).collect());
        let list = baselines(&w, Some(3)).unwrap();
        assert_eq!(loss_of(&list, "seasonal_naive", &w), 100.0);
        assert_eq!(list[2].label(), "seasonal naive (3)");
        assert!(baselines(&w, None).unwrap().iter().all(|f| f.name() != "seasonal_naive"));
    }

    #[test]
    fn the_linear_baseline_learns_an_exact_recurrence() {
        // x_t = 2 cos(0.5) x_{t-1} - x_{t-2} + 1, an undamped oscillation, is linear in its
        // window: the fit is exact but for the float32 rounding of the windows
        let mut rows = vec![vec![1.0], vec![2.0]];
        for t in 2..60 {
            let v = 2.0 * 0.5f64.cos() * rows[t - 1][0] - rows[t - 2][0] + 1.0;
            rows.push(vec![v]);
        }
        let w = windows(rows);
        let list = baselines(&w, None).unwrap();
        assert!(loss_of(&list, "linear", &w) < 1e-10);
        assert!(loss_of(&list, "persistence", &w) > 0.1);
    }

    #[test]
    fn naive2_and_theta_take_a_multiplicative_season_out_and_put_it_back() {
        // a level of 50 times a season of 4: once adjusted, it is flat
        let w = windows((0..48).map(|i| vec![50.0 * [0.6, 1.0, 1.4, 1.0][i % 4]]).collect());
        let list = baselines(&w, Some(4)).unwrap();
        assert!(loss_of(&list, "naive2", &w) < 1e-20, "{}", loss_of(&list, "naive2", &w));
        assert!(loss_of(&list, "theta", &w) < 1e-12, "{}", loss_of(&list, "theta", &w));
        assert!(loss_of(&list, "persistence", &w) > 100.0);
        assert!(baselines(&w, None).unwrap().iter().all(|f| f.name() != "naive2"), "Naive2 only with a season");
    }
}
