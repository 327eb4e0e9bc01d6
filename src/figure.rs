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
}
