//! A figure's colours, one per series name and the same in every panel, and the one legend drawn
//! beside its panels.

use super::series::Series;
use plotters::prelude::*;

/// The colour of context drawn under the data.
const MUTED: RGBColor = RGBColor(190, 190, 190);

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

const ROW: i32 = 18;
const FONT: u32 = 11;

struct Entry {
    name: String,
    colour: RGBColor,
    line: bool,
}

/// Series names in order of first appearance, each with its colour.
pub struct Palette {
    entries: Vec<Entry>,
}

impl Palette {
    pub fn of<'a>(series: impl Iterator<Item = &'a Series>) -> Palette {
        let mut entries: Vec<Entry> = Vec::new();
        let mut coloured = 0;
        for s in series {
            if entries.iter().any(|e| e.name == s.name) {
                continue;
            }
            let colour = if s.muted {
                MUTED
            } else {
                coloured += 1;
                COLOURS[(coloured - 1) % COLOURS.len()]
            };
            entries.push(Entry {
                name: s.name.clone(),
                colour,
                line: s.line,
            });
        }
        Palette { entries }
    }

    pub fn colour(&self, s: &Series) -> RGBColor {
        self.entries
            .iter()
            .find(|e| e.name == s.name)
            .map_or(COLOURS[0], |e| e.colour)
    }

    /// The legend's width in pixels; 0 when there is nothing to tell apart.
    pub fn width(&self) -> u32 {
        if self.entries.len() < 2 {
            return 0;
        }
        let chars = self.entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0) as u32;
        (chars * 7 + 40).clamp(100, 280)
    }

    /// The entries down `area`, as many as fit, then how many more there are.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let fits = ((area.dim_in_pixel().1 as i32 - 2 * ROW) / ROW).max(1) as usize;
        let shown = if self.entries.len() > fits { fits - 1 } else { fits };
        for (k, e) in self.entries.iter().take(shown).enumerate() {
            let y = ROW + k as i32 * ROW;
            if e.line {
                area.draw(&PathElement::new(vec![(6, y), (24, y)], e.colour.stroke_width(2)))
                    .map_err(err)?;
            } else {
                area.draw(&Rectangle::new([(10, y - 5), (20, y + 5)], e.colour.filled()))
                    .map_err(err)?;
            }
            area.draw(&Text::new(e.name.clone(), (30, y - 6), ("sans-serif", FONT)))
                .map_err(err)?;
        }
        if self.entries.len() > shown {
            let y = ROW + shown as i32 * ROW;
            let more = format!("… {} more", self.entries.len() - shown);
            area.draw(&Text::new(more, (30, y - 6), ("sans-serif", FONT)))
                .map_err(err)?;
        }
        Ok(())
    }
}
