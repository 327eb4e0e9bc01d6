//! Figure declarations: what an operator says about how its tables are looked at. The report
//! (`report/`) draws them; an operator lists its own next to its schema (`StageOp::figures`).

/// One figure drawn from one of a stage's tables.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub title: &'static str,
    /// The output table (its name without `.parquet`).
    pub table: &'static str,
    pub plot: Plot,
    /// Axis titles, with units.
    pub x_label: &'static str,
    pub y_label: &'static str,
}

/// Which columns a figure draws.
#[derive(Debug, Clone, Copy)]
pub enum Columns {
    /// These, by name.
    Named(&'static [&'static str]),
    /// Every float column strictly between two named columns (`train`'s loss terms).
    Between(&'static str, &'static str),
    /// Every float column whose name starts with the prefix (`pc_1`, `pc_2`, ...), at most `n`.
    Prefix(&'static str, usize),
}

#[derive(Debug, Clone, Copy)]
pub enum Plot {
    /// Each y column against `x`, one line per distinct value of `group` (if any).
    Lines {
        x: &'static str,
        ys: Columns,
        group: Option<&'static str>,
        log_y: bool,
    },
    /// The first two columns of `xy` as a path per `group` (a trajectory in a plane).
    Path { xy: Columns, group: &'static str },
    /// Points, coloured by `color` (a bool or integer column), optionally over the unit circle.
    Points {
        x: &'static str,
        y: &'static str,
        color: Option<&'static str>,
        unit_circle: bool,
    },
    /// One bar per row and value column, labelled by `label`.
    Bars { label: &'static str, values: Columns },
    /// A histogram of one column.
    Histogram { column: &'static str, bins: usize },
    /// The rows of the `units` columns (one per unit) projected on their own top two principal
    /// components, drawn as a path per `group`: trajectories in PC space from a rates table.
    PcPaths { units: Columns, group: &'static str },
    /// The cumulative fraction of variance the leading principal components of the `units`
    /// columns explain.
    PcVariance { units: Columns },
    /// Points of the figure's table, coloured by `color`, over the paths of the same plane's
    /// `x` and `y` columns in another of the stage's tables (`paths`, one path per `group`).
    PointsOverPaths {
        x: &'static str,
        y: &'static str,
        color: Option<&'static str>,
        paths: &'static str,
        group: &'static str,
    },
    /// One panel for a whole sweep family: each `ys` column's mean per member against the
    /// member's first numeric sweep coordinate (a metric against, say, the sampling fraction).
    AcrossSweep { ys: Columns },
}

impl Figure {
    /// Every table the figure reads: its own, then the one it draws under it, if any.
    pub fn tables(&self) -> Vec<&'static str> {
        match self.plot {
            Plot::PointsOverPaths { paths, .. } => vec![self.table, paths],
            _ => vec![self.table],
        }
    }
}
