//! Drawing one declared figure, for one stage or a whole sweep family, as an SVG string
//! (plotters' SVG backend).
//!
//! One member is one panel. A family whose members each give a single series is overlaid, one
//! colour per member, when it has at most `OVERLAY_MAX` members; otherwise it is drawn as small
//! multiples, one panel per member titled with its coordinates, so a 27-member sweep stays legible.

use super::columns::{labels, numbers, select};
use crate::figure::{Figure, Plot};
use arrow_array::RecordBatch;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// At most this many members share one panel.
pub const OVERLAY_MAX: usize = 8;

/// One stage instance's table, labelled by its sweep coordinates.
pub struct Member {
    pub label: String,
    pub batch: RecordBatch,
}

struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    line: bool,
}

struct Panel {
    title: String,
    series: Vec<Series>,
    /// For bar charts: the category labels along x.
    categories: Vec<String>,
    bars: bool,
}

const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The series one member's table gives for a figure, with bar categories where it has some.
fn series_of(fig: &Figure, batch: &RecordBatch) -> (Vec<Series>, Vec<String>) {
    let mut out = Vec::new();
    let mut categories = Vec::new();
    let by_group = |group: Option<&str>, n: usize| -> BTreeMap<String, Vec<usize>> {
        let keys = group
            .and_then(|g| labels(batch, g))
            .unwrap_or_else(|| vec![String::new(); n]);
        let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, k) in keys.into_iter().enumerate() {
            m.entry(k).or_default().push(i);
        }
        m
    };
    match fig.plot {
        Plot::Lines { x, ys, group, .. } => {
            let Some(xs) = numbers(batch, x) else {
                return (out, categories);
            };
            let names = select(batch, &ys);
            let groups = by_group(group, xs.len());
            for y in &names {
                let Some(vals) = numbers(batch, y) else { continue };
                for (g, rows) in &groups {
                    let name = match (names.len() > 1, g.is_empty()) {
                        (true, true) => y.clone(),
                        (true, false) => format!("{y} {}={g}", group.unwrap_or("")),
                        (false, false) => format!("{}={g}", group.unwrap_or("")),
                        (false, true) => y.clone(),
                    };
                    out.push(Series {
                        name,
                        points: rows.iter().map(|&i| (xs[i], vals[i])).collect(),
                        line: true,
                    });
                }
            }
        }
        Plot::Path { xy, group } => {
            let names = select(batch, &xy);
            if let (Some(a), Some(b)) = (names.first(), names.get(1))
                && let (Some(xs), Some(ys)) = (numbers(batch, a), numbers(batch, b))
            {
                for (g, rows) in by_group(Some(group), xs.len()) {
                    out.push(Series {
                        name: format!("{group}={g}"),
                        points: rows.iter().map(|&i| (xs[i], ys[i])).collect(),
                        line: true,
                    });
                }
            }
        }
        Plot::Points {
            x,
            y,
            color,
            unit_circle,
        } => {
            if let (Some(xs), Some(ys)) = (numbers(batch, x), numbers(batch, y)) {
                for (g, rows) in by_group(color, xs.len()) {
                    let name = match color {
                        Some(c) => format!("{c}={g}"),
                        None => y.to_string(),
                    };
                    out.push(Series {
                        name,
                        points: rows.iter().map(|&i| (xs[i], ys[i])).collect(),
                        line: false,
                    });
                }
            }
            if unit_circle {
                out.push(Series {
                    name: "unit circle".into(),
                    points: (0..=96)
                        .map(|k| {
                            let t = k as f64 / 96.0 * std::f64::consts::TAU;
                            (t.cos(), t.sin())
                        })
                        .collect(),
                    line: true,
                });
            }
        }
        Plot::Bars { label, values } => {
            categories = labels(batch, label).unwrap_or_default();
            for v in select(batch, &values) {
                if let Some(vals) = numbers(batch, &v) {
                    out.push(Series {
                        name: v.clone(),
                        points: vals.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
                        line: false,
                    });
                }
            }
        }
        Plot::Histogram { column, bins } => {
            if let Some(vals) = numbers(batch, column) {
                let finite: Vec<f64> = vals.into_iter().filter(|v| v.is_finite()).collect();
                let (lo, hi) = bounds(finite.iter().copied());
                let bins = bins.max(1);
                let width = (hi - lo) / bins as f64;
                let mut counts = vec![0usize; bins];
                for v in &finite {
                    let k = (((v - lo) / width) as usize).min(bins - 1);
                    counts[k] += 1;
                }
                out.push(Series {
                    name: column.to_string(),
                    points: counts
                        .iter()
                        .enumerate()
                        .map(|(k, &c)| (lo + (k as f64 + 0.5) * width, c as f64))
                        .collect(),
                    line: true,
                });
            }
        }
    }
    for s in &mut out {
        s.points.retain(|(x, y)| x.is_finite() && y.is_finite());
    }
    out.retain(|s| !s.points.is_empty());
    (out, categories)
}

/// The panels of a figure for a family of members.
fn panels(fig: &Figure, members: &[Member]) -> Vec<Panel> {
    let bars = matches!(fig.plot, Plot::Bars { .. });
    let per_member: Vec<(Vec<Series>, Vec<String>)> = members.iter().map(|m| series_of(fig, &m.batch)).collect();
    let single = per_member.iter().all(|(s, _)| s.len() <= 1);
    if members.len() > 1 && members.len() <= OVERLAY_MAX && single && !bars {
        let series = per_member
            .into_iter()
            .zip(members)
            .flat_map(|((s, _), m)| {
                s.into_iter().map(move |mut s| {
                    s.name = m.label.clone();
                    s
                })
            })
            .collect();
        return vec![Panel {
            title: fig.title.to_string(),
            series,
            categories: Vec::new(),
            bars,
        }];
    }
    per_member
        .into_iter()
        .zip(members)
        .map(|((series, categories), m)| Panel {
            title: if m.label.is_empty() {
                fig.title.to_string()
            } else {
                m.label.clone()
            },
            series,
            categories,
            bars,
        })
        .collect()
}

/// The finite range of some values, padded, never empty.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// The figure as one SVG, and the number of data points drawn.
pub fn render(fig: &Figure, members: &[Member]) -> Result<(String, usize), String> {
    let panels = panels(fig, members);
    let log_y = matches!(fig.plot, Plot::Lines { log_y: true, .. });
    let n = panels.len().max(1);
    let (cols, pw, ph) = if n == 1 {
        (1, 640u32, 400u32)
    } else {
        (n.min(4), 300, 220)
    };
    let rows = n.div_ceil(cols);
    let mut svg = String::new();
    let mut drawn = 0;
    {
        let root = SVGBackend::with_string(&mut svg, (pw * cols as u32, ph * rows as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((rows, cols));
        for (panel, area) in panels.iter().zip(areas) {
            drawn += draw_panel(fig, panel, &area, log_y, n == 1).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok((svg, drawn))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw_panel(
    fig: &Figure,
    panel: &Panel,
    area: &Area,
    log_y: bool,
    big: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    let (x0, x1) = if panel.bars {
        (-0.6, panel.categories.len().max(1) as f64 - 0.4)
    } else {
        bounds(panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
    };
    let ys = panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (mut y0, y1) = if panel.bars {
        let (lo, hi) = bounds(ys.chain([0.0]));
        (lo.min(0.0), hi)
    } else {
        bounds(ys.filter(|y| !log_y || *y > 0.0))
    };
    let font = if big { 15 } else { 11 };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", font + 1))
        .margin(8)
        .x_label_area_size(if big { 40 } else { 30 })
        .y_label_area_size(if big { 60 } else { 45 });
    let mut drawn = 0;
    if log_y {
        let positive = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|y| *y > 0.0 && y.is_finite());
        let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
        let (lo, hi) = if lo.is_finite() {
            (lo / 1.5, hi * 1.5)
        } else {
            (0.1, 10.0)
        };
        y0 = lo;
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0..hi.max(y0 * 10.0)).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(fig.x_label)
            .y_desc(fig.y_label)
            .y_label_formatter(&|v: &f64| format!("{v:.0e}"))
            .label_style(("sans-serif", font - 2))
            .draw()?;
        for (i, s) in panel.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|p| p.1 > 0.0).collect();
            drawn += pts.len();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        }
        if big && panel.series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 11))
                .draw()?;
        }
        return Ok(drawn);
    }
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1)?;
    let categories = panel.categories.clone();
    let formatter = |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            categories.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(fig.x_label)
        .y_desc(fig.y_label)
        .label_style(("sans-serif", font - 2));
    if panel.bars {
        mesh.x_labels(categories.len().max(1)).x_label_formatter(&formatter);
    }
    mesh.draw()?;
    let groups = panel.series.len().max(1) as f64;
    for (i, s) in panel.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        drawn += s.points.len();
        let anno = if panel.bars {
            let w = 0.8 / groups;
            chart.draw_series(s.points.iter().map(|&(x, y)| {
                let left = x - 0.4 + w * i as f64;
                Rectangle::new([(left, 0.0_f64.min(y)), (left + w, 0.0_f64.max(y))], colour.filled())
            }))?
        } else if s.line {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(2)))?
        } else {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?
        };
        anno.label(s.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], colour.filled()));
    }
    if panel.series.len() > 1 || (panel.bars && !panel.series.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", if big { 11 } else { 9 }))
            .draw()?;
    }
    Ok(drawn)
}
