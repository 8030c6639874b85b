//! A small typed SVG layer and the review pack's chart kinds (grouped bars,
//! lines, horizontal bars with a change marker). Every text is escaped
//! here, once, so issue titles can never break out of the document; numbers
//! are formatted here, so no chart emits `NaN` or `inf`.

use std::fmt::Write;

/// Escapes text for XML/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML forbids most control characters, NUL included.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn num(v: f64) -> String {
    if v.is_finite() {
        let r = (v * 10.0).round() / 10.0;
        if r == r.trunc() {
            format!("{}", r as i64)
        } else {
            format!("{r:.1}")
        }
    } else {
        "0".into()
    }
}

/// One SVG element.
#[derive(Debug, Clone)]
pub enum Node {
    /// A rectangle (a bar).
    Rect {
        /// Left.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
        /// CSS class (colour).
        class: &'static str,
        /// Tooltip.
        title: String,
    },
    /// A straight line.
    Line {
        /// Start x.
        x1: f64,
        /// Start y.
        y1: f64,
        /// End x.
        x2: f64,
        /// End y.
        y2: f64,
        /// CSS class.
        class: &'static str,
    },
    /// A polyline through points.
    Polyline {
        /// The points.
        points: Vec<(f64, f64)>,
        /// CSS class.
        class: &'static str,
    },
    /// Text.
    Text {
        /// Anchor x.
        x: f64,
        /// Baseline y.
        y: f64,
        /// `start`, `middle` or `end`.
        anchor: &'static str,
        /// CSS class.
        class: &'static str,
        /// The text (escaped when written).
        text: String,
    },
}

impl Node {
    fn write(&self, out: &mut String) {
        let _ = match self {
            Node::Rect {
                x,
                y,
                w,
                h,
                class,
                title,
            } => write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" class="{class}"><title>{}</title></rect>"#,
                num(*x),
                num(*y),
                num(w.max(0.0)),
                num(h.max(0.0)),
                escape(title)
            ),
            Node::Line {
                x1,
                y1,
                x2,
                y2,
                class,
            } => write!(
                out,
                r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{class}"/>"#,
                num(*x1),
                num(*y1),
                num(*x2),
                num(*y2)
            ),
            Node::Polyline { points, class } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
                    .collect();
                write!(
                    out,
                    r#"<polyline points="{}" class="{class}"/>"#,
                    pts.join(" ")
                )
            }
            Node::Text {
                x,
                y,
                anchor,
                class,
                text,
            } => write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="{anchor}" class="{class}">{}</text>"#,
                num(*x),
                num(*y),
                escape(text)
            ),
        };
    }
}

/// An SVG document.
#[derive(Debug, Clone)]
pub struct Svg {
    /// Width in px.
    pub width: f64,
    /// Height in px.
    pub height: f64,
    /// Accessible title.
    pub title: String,
    /// Elements, in paint order.
    pub nodes: Vec<Node>,
}

impl Svg {
    /// Renders the element.
    pub fn render(&self) -> String {
        let mut out = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><title>{}</title>"#,
            escape(&self.title),
            w = num(self.width),
            h = num(self.height)
        );
        for n in &self.nodes {
            n.write(&mut out);
        }
        out.push_str("</svg>");
        out
    }
}

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 50.0;
const SERIES_CLASSES: [&str; 4] = ["s0", "s1", "s2", "s3"];

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

fn axes(nodes: &mut Vec<Node>, max: f64) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = TOP + plot_h - plot_h * i as f64 / 4.0;
        nodes.push(Node::Line {
            x1: LEFT,
            y1: y,
            x2: W - RIGHT,
            y2: y,
            class: "grid",
        });
        nodes.push(Node::Text {
            x: LEFT - 6.0,
            y: y + 4.0,
            anchor: "end",
            class: "tick",
            text: num(v),
        });
    }
}

fn legend(nodes: &mut Vec<Node>, names: &[String]) {
    let mut x = LEFT;
    for (i, name) in names.iter().enumerate() {
        nodes.push(Node::Rect {
            x,
            y: H - 14.0,
            w: 10.0,
            h: 10.0,
            class: SERIES_CLASSES[i % SERIES_CLASSES.len()],
            title: name.clone(),
        });
        nodes.push(Node::Text {
            x: x + 14.0,
            y: H - 5.0,
            anchor: "start",
            class: "legend",
            text: name.clone(),
        });
        x += 20.0 + 7.0 * name.chars().count() as f64;
    }
}

fn empty(title: &str) -> Svg {
    Svg {
        width: W,
        height: 60.0,
        title: title.to_string(),
        nodes: vec![Node::Text {
            x: W / 2.0,
            y: 35.0,
            anchor: "middle",
            class: "empty",
            text: "no data yet".into(),
        }],
    }
}

/// Grouped vertical bars: one group per category, one bar per series.
pub fn bars(title: &str, categories: &[String], series: &[(String, Vec<f64>)]) -> Svg {
    if categories.is_empty() || series.is_empty() {
        return empty(title);
    }
    let max = nice_max(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max),
    );
    let mut nodes = Vec::new();
    axes(&mut nodes, max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let group = plot_w / categories.len() as f64;
    let bar = (group * 0.8) / series.len() as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = LEFT + group * ci as f64 + group * 0.1;
        for (si, (name, values)) in series.iter().enumerate() {
            let v = values.get(ci).copied().unwrap_or(0.0).max(0.0);
            let h = plot_h * v / max;
            nodes.push(Node::Rect {
                x: gx + bar * si as f64,
                y: TOP + plot_h - h,
                w: (bar - 1.0).max(1.0),
                h,
                class: SERIES_CLASSES[si % SERIES_CLASSES.len()],
                title: format!("{cat} · {name}: {}", num(v)),
            });
        }
        // Thin out labels when there are many categories.
        let every = (categories.len() / 12).max(1);
        if ci % every == 0 {
            nodes.push(Node::Text {
                x: gx + group * 0.4,
                y: TOP + plot_h + 14.0,
                anchor: "middle",
                class: "tick",
                text: cat.clone(),
            });
        }
    }
    legend(
        &mut nodes,
        &series.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    );
    Svg {
        width: W,
        height: H,
        title: title.to_string(),
        nodes,
    }
}

/// Lines over shared x labels, optionally over bars of other series.
pub fn lines(title: &str, xs: &[String], series: &[(String, Vec<f64>)]) -> Svg {
    if xs.is_empty() || series.is_empty() {
        return empty(title);
    }
    let max = nice_max(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max),
    );
    let mut nodes = Vec::new();
    axes(&mut nodes, max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let step = if xs.len() > 1 {
        plot_w / (xs.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| {
        if xs.len() > 1 {
            LEFT + step * i as f64
        } else {
            LEFT + plot_w / 2.0
        }
    };
    for (si, (_, values)) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (x_of(i), TOP + plot_h - plot_h * v.max(0.0) / max))
            .collect();
        let class = ["l0", "l1", "l2", "l3"][si % 4];
        if points.len() == 1 {
            let (x, y) = points[0];
            nodes.push(Node::Rect {
                x: x - 3.0,
                y: y - 3.0,
                w: 6.0,
                h: 6.0,
                class: SERIES_CLASSES[si % 4],
                title: num(values[0]),
            });
        }
        nodes.push(Node::Polyline { points, class });
    }
    let every = (xs.len() / 10).max(1);
    for (i, x) in xs.iter().enumerate() {
        if i % every == 0 {
            nodes.push(Node::Text {
                x: x_of(i),
                y: TOP + plot_h + 14.0,
                anchor: "middle",
                class: "tick",
                text: x.clone(),
            });
        }
    }
    legend(
        &mut nodes,
        &series.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
    );
    Svg {
        width: W,
        height: H,
        title: title.to_string(),
        nodes,
    }
}

/// Horizontal bars (one per row) with the previous value marked and the
/// change written beside.
pub fn hbars(title: &str, rows: &[(String, f64, Option<f64>)]) -> Svg {
    if rows.is_empty() {
        return empty(title);
    }
    let row_h = 24.0;
    let label_w = 260.0;
    let height = TOP + row_h * rows.len() as f64 + 30.0;
    let max = nice_max(
        rows.iter()
            .flat_map(|(_, v, p)| [*v, p.unwrap_or(0.0)])
            .fold(0.0, f64::max),
    );
    let plot_w = W - label_w - 110.0;
    let mut nodes = Vec::new();
    for (i, (label, v, prev)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let label: String = label.chars().take(40).collect();
        nodes.push(Node::Text {
            x: label_w - 8.0,
            y: y + 15.0,
            anchor: "end",
            class: "tick",
            text: label,
        });
        let w = plot_w * v.max(0.0) / max;
        nodes.push(Node::Rect {
            x: label_w,
            y: y + 4.0,
            w: w.max(1.0),
            h: row_h - 8.0,
            class: "s0",
            title: format!("{} bad minutes/year", num(*v)),
        });
        if let Some(p) = prev {
            let px = label_w + plot_w * p.max(0.0) / max;
            nodes.push(Node::Line {
                x1: px,
                y1: y + 1.0,
                x2: px,
                y2: y + row_h - 1.0,
                class: "prev",
            });
        }
        let change = match prev {
            Some(p) if (v - p).abs() >= 0.5 => format!("{:+}", (v - p).round() as i64),
            Some(_) => "±0".into(),
            None => "new".into(),
        };
        nodes.push(Node::Text {
            x: label_w + w.max(1.0) + 6.0,
            y: y + 15.0,
            anchor: "start",
            class: "tick",
            text: format!("{} ({change})", num(*v)),
        });
    }
    Svg {
        width: W,
        height,
        title: title.to_string(),
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_cannot_break_out() {
        let s = bars(
            "</svg><script>alert(1)</script>",
            &["<b>\"x\"\u{0}".into()],
            &[("a&b".into(), vec![f64::NAN])],
        )
        .render();
        assert!(!s.contains("<script>"), "{s}");
        assert!(!s.contains("</svg><"), "{s}");
        assert!(s.contains("&lt;b&gt;&quot;x&quot;\u{FFFD}"), "{s}");
        assert!(!s.contains("NaN"), "{s}");
        assert_eq!(s.matches("<svg").count(), 1);
    }

    #[test]
    fn bars_have_one_rect_per_value_and_empty_charts_say_so() {
        let s = bars(
            "t",
            &["a".into(), "b".into(), "c".into()],
            &[
                ("x".into(), vec![1.0, 2.0, 3.0]),
                ("y".into(), vec![0.0, 1.0, 0.5]),
            ],
        )
        .render();
        // 6 bars + 2 legend swatches.
        assert_eq!(s.matches("<rect").count(), 8);
        let e = lines("t", &[], &[]).render();
        assert!(e.contains("no data yet"));
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(0.0), 1.0);
    }
}
