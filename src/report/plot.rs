//! Drawing one declared figure, for one stage or a whole sweep family, as an SVG string
//! (plotters' SVG backend).
//!
//! One member is one panel. A family whose members each give a single series is overlaid, one
//! colour per member, when it has at most `OVERLAY_MAX` members; otherwise it is drawn as small
//! multiples, one panel per member titled with its coordinates, so a 27-member sweep stays legible.
//! Curves of a family with replicates are drawn per cell of its other coordinates, as the mean
//! over seeds with a band (`replicates`). Small multiples of one quantity share their y axis, so
//! panels compare at a glance.

use super::legend::Palette;
use super::replicates::{Cell, LEVEL, cells, mean_with_band};
use super::series::{Member, Series, across_sweep, bounds, series_of};
use crate::figure::{Figure, Plot};
use plotters::prelude::*;

/// At most this many members share one panel.
pub const OVERLAY_MAX: usize = 8;

struct Panel {
    title: String,
    series: Vec<Series>,
    /// For bar charts: the category labels along x.
    categories: Vec<String>,
    bars: bool,
    /// Replaces the figure's x axis title (a sweep coordinate's name).
    x_label: Option<String>,
    /// Panels with the same quantity share their y range.
    quantity: Option<String>,
}

impl Panel {
    fn new(title: String, series: Vec<Series>, categories: Vec<String>, bars: bool) -> Panel {
        Panel {
            title,
            series,
            categories,
            bars,
            x_label: None,
            quantity: None,
        }
    }

    /// The panel as one of several small multiples of `quantity`.
    fn of_quantity(mut self, quantity: &str) -> Panel {
        self.quantity = Some(quantity.to_string());
        self
    }
}

/// The panels of a figure for a family of members.
fn panels(fig: &Figure, members: &[Member]) -> Vec<Panel> {
    if let Plot::AcrossSweep { ys } = &fig.plot {
        let (x_name, series) = across_sweep(ys, members);
        let mut panel = Panel::new(format!("{} against {x_name}", fig.title), series, Vec::new(), false);
        panel.x_label = Some(format!("{x_name} (sweep coordinate)"));
        return vec![panel];
    }
    if matches!(fig.plot, Plot::Lines { .. })
        && let Some(cells) = cells(members)
    {
        return replicate_panels(fig, members, &cells);
    }
    let bars = matches!(fig.plot, Plot::Bars { .. });
    let per_member: Vec<(Vec<Series>, Vec<String>)> = members.iter().map(|m| series_of(fig, m)).collect();
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
        return vec![Panel::new(fig.title.to_string(), series, Vec::new(), bars)];
    }
    let mut out = Vec::new();
    for ((series, categories), m) in per_member.into_iter().zip(members) {
        let title = if m.label.is_empty() {
            fig.title.to_string()
        } else {
            m.label.clone()
        };
        if bars && series.len() > 1 {
            // Columns on different scales (a swap rate and a concentration) each get their own
            // axis: one panel per column.
            for s in series {
                let title = if m.label.is_empty() {
                    s.name.clone()
                } else {
                    format!("{title}: {}", s.name)
                };
                let quantity = s.name.clone();
                out.push(Panel::new(title, vec![s], categories.clone(), true).of_quantity(&quantity));
            }
        } else {
            out.push(Panel::new(title, series, categories, bars).of_quantity(""));
        }
    }
    out
}

/// A curve figure of a family with replicates: each cell's curves as their mean over its seeds
/// with a band, the cells overlaid when each gives one curve and there are few, else a panel each.
fn replicate_panels(fig: &Figure, members: &[Member], cells: &[Cell]) -> Vec<Panel> {
    let seeds: Vec<usize> = cells.iter().map(|c| c.members.len()).collect();
    let (fewest, most) = (
        seeds.iter().copied().min().unwrap_or(0),
        seeds.iter().copied().max().unwrap_or(0),
    );
    let counted = if fewest == most {
        format!("{most} seeds")
    } else {
        format!("{fewest}–{most} seeds")
    };
    let note = format!("mean of {counted}, {:.0} % bootstrap CI", LEVEL * 100.0);
    let per_cell: Vec<Vec<Series>> = cells
        .iter()
        .map(|c| mean_with_band(c.members.iter().map(|&i| series_of(fig, &members[i]).0).collect()))
        .collect();
    if cells.len() <= OVERLAY_MAX && per_cell.iter().all(|s| s.len() <= 1) {
        let series = per_cell
            .into_iter()
            .zip(cells)
            .flat_map(|(s, c)| {
                s.into_iter().map(move |mut s| {
                    if !c.label.is_empty() {
                        s.name = c.label.clone();
                    }
                    s
                })
            })
            .collect();
        return vec![Panel::new(format!("{} ({note})", fig.title), series, Vec::new(), false)];
    }
    per_cell
        .into_iter()
        .zip(cells)
        .map(|(series, c)| {
            let title = if c.label.is_empty() { fig.title } else { &c.label };
            Panel::new(format!("{title} ({note})"), series, Vec::new(), false).of_quantity("")
        })
        .collect()
}

/// The y range a panel's data needs: linear (padded) or, on a log axis, of its positive values.
fn y_range(panel: &Panel, log_y: bool) -> (f64, f64) {
    let bands = panel.series.iter().flat_map(|s| s.band.iter().flat_map(|b| [b.1, b.2]));
    let ys = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(bands);
    if log_y {
        let (lo, hi) = ys
            .filter(|y| *y > 0.0 && y.is_finite())
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
        return if lo.is_finite() {
            (lo / 1.5, (hi * 1.5).max(lo / 1.5 * 10.0))
        } else {
            (0.1, 10.0)
        };
    }
    if panel.bars {
        let (lo, hi) = bounds(ys.chain([0.0]));
        (lo.min(0.0), hi)
    } else {
        bounds(ys)
    }
}

/// Each panel's y range, shared by the panels of one quantity.
fn shared_y_ranges(panels: &[Panel], log_y: bool) -> Vec<(f64, f64)> {
    let own: Vec<(f64, f64)> = panels.iter().map(|p| y_range(p, log_y)).collect();
    panels
        .iter()
        .zip(&own)
        .map(|(p, &range)| match &p.quantity {
            None => range,
            Some(q) => panels
                .iter()
                .zip(&own)
                .filter(|(other, _)| other.quantity.as_ref() == Some(q))
                .fold(range, |(lo, hi), (_, &(l, h))| (lo.min(l), hi.max(h))),
        })
        .collect()
}

/// The figure as one SVG, and the number of data points drawn.
pub fn render(fig: &Figure, members: &[Member]) -> Result<(String, usize), String> {
    let panels = panels(fig, members);
    let palette = Palette::of(panels.iter().flat_map(|p| &p.series));
    let log_y = matches!(fig.plot, Plot::Lines { log_y: true, .. });
    let n = panels.len().max(1);
    let (pw, ph) = match (n == 1, equal_aspect(fig)) {
        (true, false) => (640u32, 400u32),
        (true, true) => (500, 520),
        (false, false) => (300, 220),
        (false, true) => (280, 300),
    };
    // Bars get room for their labels: a slot per category as wide as its longest label.
    let pw = match panels.iter().map(|p| p.categories.len()).max() {
        Some(k) if k > 0 => {
            let chars = panels
                .iter()
                .flat_map(|p| &p.categories)
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0) as u32;
            pw.max(70 + k as u32 * (chars * 6 + 8).clamp(24, 120))
        }
        _ => pw,
    };
    let cols = (MAX_WIDTH / pw).clamp(1, 4).min(n as u32) as usize;
    let rows = n.div_ceil(cols);
    // One legend for the figure, where a panel has series to tell apart.
    let legend = if panels.iter().any(|p| p.series.len() > 1) {
        palette.width()
    } else {
        0
    };
    let mut svg = String::new();
    let mut drawn = 0;
    {
        let size = (pw * cols as u32 + legend, (ph * rows as u32).max(60));
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (grid, side) = root.split_horizontally(pw * cols as u32);
        // Equal-aspect panels keep one range for both axes, so they do not share y with others.
        let ranges = shared_y_ranges(&panels, log_y);
        for ((panel, area), &y) in panels.iter().zip(grid.split_evenly((rows, cols))).zip(&ranges) {
            drawn += draw_panel(fig, panel, &palette, &area, (log_y, y), n == 1).map_err(|e| e.to_string())?;
        }
        if legend > 0 {
            palette.draw(&side.margin(10, 0, 0, 0))?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok((svg, drawn))
}

/// Figures wrap their panels at this width, in pixels (the legend aside).
const MAX_WIDTH: u32 = 1280;

/// Whether a figure is drawn with equal scales on both axes (points over the unit circle).
fn equal_aspect(fig: &Figure) -> bool {
    matches!(fig.plot, Plot::Points { unit_circle: true, .. })
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw_panel(
    fig: &Figure,
    panel: &Panel,
    palette: &Palette,
    area: &Area,
    (log_y, (y0, y1)): (bool, (f64, f64)),
    big: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    let (x0, x1) = if panel.bars {
        (-0.6, panel.categories.len().max(1) as f64 - 0.4)
    } else {
        bounds(panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
    };
    // The complex plane keeps its aspect: one range for both axes, on a square panel.
    let (x0, x1, y0, y1) = if equal_aspect(fig) {
        let (lo, hi) = (x0.min(y0), x1.max(y1));
        (lo, hi, lo, hi)
    } else {
        (x0, x1, y0, y1)
    };
    let x_desc = panel.x_label.as_deref().unwrap_or(fig.x_label);
    let font = if big { 15 } else { 11 };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", font + 1))
        .margin(8)
        .x_label_area_size(if big { 40 } else { 30 })
        .y_label_area_size(if big { 60 } else { 45 });
    let mut drawn = 0;
    if log_y {
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(fig.y_label)
            .y_label_formatter(&|v: &f64| format!("{v:.0e}"))
            .label_style(("sans-serif", font - 2))
            .draw()?;
        for s in &panel.series {
            // A band's lower edge at or below zero sits on the axis's floor.
            let band: Vec<(f64, f64, f64)> = s.band.iter().map(|&(x, l, h)| (x, l.max(y0), h.max(y0))).collect();
            draw_band(&mut chart, &band, palette.colour(s))?;
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|p| p.1 > 0.0).collect();
            drawn += pts.len();
            chart.draw_series(LineSeries::new(pts, palette.colour(s).stroke_width(2)))?;
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
    mesh.x_desc(x_desc)
        .y_desc(fig.y_label)
        .label_style(("sans-serif", font - 2));
    if panel.bars {
        mesh.x_labels(categories.len().max(1)).x_label_formatter(&formatter);
    }
    mesh.draw()?;
    let groups = panel.series.len().max(1) as f64;
    for (i, s) in panel.series.iter().enumerate() {
        let colour = palette.colour(s);
        drawn += s.points.len();
        if panel.bars {
            let w = 0.8 / groups;
            chart.draw_series(s.points.iter().map(|&(x, y)| {
                let left = x - 0.4 + w * i as f64;
                Rectangle::new([(left, 0.0_f64.min(y)), (left + w, 0.0_f64.max(y))], colour.filled())
            }))?;
        } else if s.line {
            draw_band(&mut chart, &s.band, colour)?;
            let width = if s.muted { 1 } else { 2 };
            chart.draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(width)))?;
        } else {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
    }
    Ok(drawn)
}

/// A shaded band between (x, low, high) edges, in the series' colour, under its line.
fn draw_band<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    band: &[(f64, f64, f64)],
    colour: RGBColor,
) -> Result<(), Box<dyn std::error::Error>>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let edges: Vec<(f64, f64)> = band
        .iter()
        .map(|&(x, _, high)| (x, high))
        .chain(band.iter().rev().map(|&(x, low, _)| (x, low)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if band.len() > 1 {
        chart.draw_series(std::iter::once(Polygon::new(edges, colour.mix(0.2).filled())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Columns;
    use crate::table::TableBuilder;

    #[test]
    fn bars_of_several_columns_get_a_panel_each() {
        let batch = TableBuilder::new()
            .utf8("stage", &["a", "b"])
            .f64("swap_rate", vec![0.1, 0.2])
            .f64("kappa", vec![10.0, 20.0])
            .build()
            .unwrap();
        let fig = Figure {
            title: "Compared",
            table: "comparison",
            plot: Plot::Bars {
                label: "stage",
                values: Columns::Named(&["swap_rate", "kappa"]),
            },
            x_label: "stage",
            y_label: "value",
        };
        let member = Member {
            label: String::new(),
            coords: Vec::new(),
            batch,
            backdrop: None,
        };
        let titles: Vec<String> = panels(&fig, std::slice::from_ref(&member))
            .into_iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(titles, ["swap_rate", "kappa"]);
        let (svg, points) = render(&fig, &[member]).unwrap();
        assert_eq!(points, 4);
        assert_eq!(svg.matches("swap_rate").count(), svg.matches("kappa").count());
    }

    #[test]
    fn small_multiples_of_one_quantity_share_their_y_range() {
        let curve = |name: &str, ys: &[f64]| {
            let points = ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect();
            Series::new(name.into(), points, true)
        };
        let panels = [
            Panel::new("a".into(), vec![curve("loss", &[1.0, 2.0])], Vec::new(), false).of_quantity(""),
            Panel::new("b".into(), vec![curve("loss", &[10.0, 30.0])], Vec::new(), false).of_quantity(""),
            Panel::new("c".into(), vec![curve("rate", &[0.1, 0.2])], Vec::new(), true).of_quantity("rate"),
            Panel::new("d".into(), vec![curve("other", &[5.0, 6.0])], Vec::new(), false),
        ];
        let ranges = shared_y_ranges(&panels, false);
        assert_eq!(ranges[0], ranges[1], "two members' panels of one figure");
        assert!(ranges[0].0 < 1.0 && ranges[0].1 > 30.0, "{:?}", ranges[0]);
        assert_eq!(ranges[2], y_range(&panels[2], false), "another quantity keeps its own");
        assert_eq!(
            ranges[3],
            y_range(&panels[3], false),
            "a panel of no family keeps its own"
        );
        let logged = shared_y_ranges(&panels[..2], true);
        assert_eq!(logged[0], logged[1]);
        assert!(logged[0].0 > 0.0, "a log axis starts above zero");
    }

    #[test]
    fn curves_of_replicates_are_drawn_as_a_mean_with_a_band() {
        let fig = Figure {
            title: "Loss",
            table: "log",
            plot: Plot::Lines {
                x: "step",
                ys: Columns::Named(&["loss"]),
                group: None,
                log_y: false,
            },
            x_label: "step",
            y_label: "loss",
        };
        let member = |seed: &str, rate: &str, loss: Vec<f64>| Member {
            label: format!("rate={rate}, seed={seed}"),
            coords: vec![("rate".into(), rate.into()), ("seed".into(), seed.into())],
            batch: TableBuilder::new()
                .f64("step", vec![0.0, 1.0, 2.0])
                .f64("loss", loss)
                .build()
                .unwrap(),
            backdrop: None,
        };
        let members = [
            member("1", "0", vec![3.0, 2.0, 1.0]),
            member("2", "0", vec![4.0, 2.5, 1.5]),
            member("1", "1", vec![5.0, 4.0, 3.0]),
            member("2", "1", vec![6.0, 4.0, 2.0]),
        ];
        let drawn = panels(&fig, &members);
        assert_eq!(drawn.len(), 1, "two cells, one curve each: overlaid");
        assert_eq!(drawn[0].title, "Loss (mean of 2 seeds, 95 % bootstrap CI)");
        let names: Vec<&str> = drawn[0].series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["rate=0", "rate=1"], "a curve per cell, not per network");
        assert_eq!(drawn[0].series[0].points, vec![(0.0, 3.5), (1.0, 2.25), (2.0, 1.25)]);
        assert_eq!(drawn[0].series[0].band.len(), 3);
        let (svg, _) = render(&fig, &members).unwrap();
        assert_eq!(svg.matches("<polygon").count(), 2, "a band per cell");
    }

    #[test]
    fn the_unit_circle_is_drawn_on_a_square() {
        let fig = Figure {
            title: "Eigenvalues",
            table: "eigenvalues",
            plot: Plot::Points {
                x: "re",
                y: "im",
                color: None,
                unit_circle: true,
            },
            x_label: "re",
            y_label: "im",
        };
        assert!(equal_aspect(&fig));
        let batch = TableBuilder::new()
            .f64("re", vec![0.5, 3.0])
            .f64("im", vec![0.0, 0.1])
            .build()
            .unwrap();
        let member = Member {
            label: String::new(),
            coords: Vec::new(),
            batch,
            backdrop: None,
        };
        let (svg, _) = render(&fig, &[member]).unwrap();
        // A 500 x 520 panel (square inside its axis labels), then the legend beside it.
        let width: u32 = svg["<svg width=\"".len()..].split('"').next().unwrap().parse().unwrap();
        assert!(svg.contains("height=\"520\"") && width > 500, "{}", &svg[..200]);
        assert!(svg.contains("unit circle"), "the legend names it");
    }
}
