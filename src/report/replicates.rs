//! Families with several seeds per cell (`replicates = N`, or a sweep of `seed`): their members
//! grouped into cells by every coordinate but the seed, and a cell's curves drawn as their mean
//! with a 95 % percentile-bootstrap band across seeds instead of one line per network.

use super::series::{Member, Series};
use crate::numerics::replicate_stats::bootstrap_mean_ci;
use crate::rng::Rng;
use std::collections::BTreeMap;

/// The coordinate that numbers replicates.
pub const REPLICATE: &str = "seed";
/// The level of the band.
pub const LEVEL: f64 = 0.95;
/// Bootstrap resamples per point of a band; the generator is seeded, so a report is the same
/// every time it is drawn.
const RESAMPLES: usize = 1000;

/// The members that differ only in their seed, labelled by their other coordinates.
pub struct Cell {
    pub label: String,
    pub members: Vec<usize>,
}

/// The family's cells, in order of first appearance, when at least one cell has two seeds or
/// more; `None` for a family without replicates.
pub fn cells(members: &[Member]) -> Option<Vec<Cell>> {
    if !members.iter().any(|m| m.coords.iter().any(|(k, _)| k == REPLICATE)) {
        return None;
    }
    let mut out: Vec<Cell> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let label = m
            .coords
            .iter()
            .filter(|(k, _)| k != REPLICATE)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        match out.iter_mut().find(|c| c.label == label) {
            Some(cell) => cell.members.push(i),
            None => out.push(Cell {
                label,
                members: vec![i],
            }),
        }
    }
    out.iter().any(|c| c.members.len() > 1).then_some(out)
}

/// Same-named series of several members as one series each: the mean at every x, with the band
/// of the mean where two members or more have a point there.
pub fn mean_with_band(per_member: Vec<Vec<Series>>) -> Vec<Series> {
    let mut order: Vec<(String, bool)> = Vec::new();
    // Per series name: the values at each x (keyed by its bits: members share their x values).
    let mut values: BTreeMap<String, BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
    for series in per_member {
        for s in series {
            if !order.iter().any(|(name, _)| *name == s.name) {
                order.push((s.name.clone(), s.line));
            }
            let at = values.entry(s.name).or_default();
            for (x, y) in s.points {
                at.entry(x.to_bits()).or_default().push(y);
            }
        }
    }
    let mut rng = Rng::derive(0, "report-band");
    order
        .into_iter()
        .map(|(name, line)| {
            let mut points = Vec::new();
            let mut band = Vec::new();
            for (&bits, ys) in &values[&name] {
                let x = f64::from_bits(bits);
                let mean = ys.iter().sum::<f64>() / ys.len() as f64;
                points.push((x, mean));
                if ys.len() > 1 {
                    let (low, high) = band_of(ys, &mut rng);
                    band.push((x, low, high));
                }
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            band.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut s = Series::new(name, points, line);
            s.band = band;
            s
        })
        .collect()
}

/// The bootstrap interval of the mean of some values.
pub fn band_of(values: &[f64], rng: &mut Rng) -> (f64, f64) {
    bootstrap_mean_ci(values, LEVEL, RESAMPLES, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;

    fn member(coords: &[(&str, &str)]) -> Member {
        Member {
            label: String::new(),
            coords: coords.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            batch: TableBuilder::new().f64("x", vec![0.0]).build().unwrap(),
            backdrop: None,
        }
    }

    #[test]
    fn members_that_differ_only_in_seed_share_a_cell() {
        let members = [
            member(&[("rate", "0"), ("seed", "1")]),
            member(&[("rate", "1"), ("seed", "1")]),
            member(&[("rate", "0"), ("seed", "2")]),
        ];
        let cells = cells(&members).expect("replicates");
        let found: Vec<(&str, &[usize])> = cells.iter().map(|c| (c.label.as_str(), &c.members[..])).collect();
        assert_eq!(found, [("rate=0", &[0, 2][..]), ("rate=1", &[1][..])]);
        assert!(super::cells(&[member(&[("rate", "0")]), member(&[("rate", "1")])]).is_none());
        let one_each = [
            member(&[("rate", "0"), ("seed", "1")]),
            member(&[("rate", "1"), ("seed", "1")]),
        ];
        assert!(super::cells(&one_each).is_none(), "one seed per cell is no replicate");
    }

    #[test]
    fn the_mean_curve_and_its_band_come_from_the_seeds_at_each_x() {
        let curve = |ys: &[f64]| vec![Series::new("loss".into(), vec![(0.0, ys[0]), (1.0, ys[1])], true)];
        let merged = mean_with_band(vec![curve(&[1.0, 4.0]), curve(&[3.0, 4.0]), curve(&[2.0, 4.0])]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].points, vec![(0.0, 2.0), (1.0, 4.0)]);
        let (x, low, high) = merged[0].band[0];
        assert_eq!(x, 0.0);
        assert!((1.0..2.0).contains(&low) && (2.0..=3.0).contains(&high), "{low} {high}");
        assert_eq!(merged[0].band[1], (1.0, 4.0, 4.0), "no spread, no width");
        let again = mean_with_band(vec![curve(&[1.0, 4.0]), curve(&[3.0, 4.0]), curve(&[2.0, 4.0])]);
        assert_eq!(again[0].band, merged[0].band, "seeded: the same band every time");
    }
}
