//! Drawing one declared figure, for one stage or a whole sweep family, as an SVG string
//! (plotters' SVG backend).
//!
//! One member is one panel. A family whose members each give a single series is overlaid, one
//! colour per member, when it has at most `OVERLAY_MAX` members; otherwise it is drawn as small
//! multiples, one panel per member titled with its coordinates, so a 27-member sweep stays legible.

use super::legend::Palette;
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
}

impl Panel {
    fn new(title: String, series: Vec<Series>, categories: Vec<String>, bars: bool) -> Panel {
        Panel {
            title,
            series,
            categories,
            bars,
            x_label: None,
        }
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
                out.push(Panel::new(title, vec![s], categories.clone(), true));
            }
        } else {
            out.push(Panel::new(title, series, categories, bars));
        }
    }
    out
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
        for (panel, area) in panels.iter().zip(grid.split_evenly((rows, cols))) {
            drawn += draw_panel(fig, panel, &palette, &area, log_y, n == 1).map_err(|e| e.to_string())?;
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
    log_y: bool,
    big: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    let (x0, x1) = if panel.bars {
        (-0.6, panel.categories.len().max(1) as f64 - 0.4)
    } else {
        bounds(panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
    };
    let ys = panel.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (y0, y1) = if panel.bars {
        let (lo, hi) = bounds(ys.chain([0.0]));
        (lo.min(0.0), hi)
    } else {
        bounds(ys.filter(|y| !log_y || *y > 0.0))
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
        let mut chart = builder.build_cartesian_2d(x0..x1, (lo..hi.max(lo * 10.0)).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(fig.y_label)
            .y_label_formatter(&|v: &f64| format!("{v:.0e}"))
            .label_style(("sans-serif", font - 2))
            .draw()?;
        for s in &panel.series {
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
            let width = if s.muted { 1 } else { 2 };
            chart.draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(width)))?;
        } else {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
        }
    }
    Ok(drawn)
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
