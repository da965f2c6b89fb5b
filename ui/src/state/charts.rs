//! Chart geometry for the dashboard's SVG charts: scales, bars, line paths, axis ticks.

/// A bar in chart coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// Bars for `values` inside a `width` × `height` plot, with `gap` between bars.
pub fn bars(values: &[f64], width: f64, height: f64, gap: f64) -> Vec<Bar> {
    if values.is_empty() {
        return Vec::new();
    }
    let top = nice_max(values.iter().copied().fold(0.0, f64::max));
    let slot = width / values.len() as f64;
    let bar_width = (slot - gap).max(1.0);
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = (v.max(0.0) / top) * height;
            Bar { x: i as f64 * slot + gap / 2.0, y: height - h, width: bar_width, height: h }
        })
        .collect()
}

/// The points of a line chart, evenly spaced, scaled to the plot.
pub fn line_points(values: &[f64], width: f64, height: f64) -> Vec<(f64, f64)> {
    let top = nice_max(values.iter().copied().fold(0.0, f64::max));
    let step = if values.len() > 1 { width / (values.len() - 1) as f64 } else { 0.0 };
    values.iter().enumerate().map(|(i, v)| (i as f64 * step, height - (v.max(0.0) / top) * height)).collect()
}

/// An SVG path through the points: `M x y L x y …`.
pub fn path(points: &[(f64, f64)]) -> String {
    points.iter().enumerate().map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" })).collect()
}

/// Axis ticks from 0 to the nice maximum, `n + 1` of them.
pub fn ticks(max: f64, n: usize) -> Vec<f64> {
    let top = nice_max(max);
    (0..=n).map(|i| top * i as f64 / n.max(1) as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(13.0), 20.0);
        assert_eq!(nice_max(420.0), 500.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }

    #[test]
    fn bars_scale_to_the_plot() {
        let b = bars(&[50.0, 100.0, 0.0], 300.0, 100.0, 10.0);
        assert_eq!(b.len(), 3);
        assert_eq!(b[1].height, 100.0);
        assert_eq!(b[0].height, 50.0);
        assert_eq!(b[0].y, 50.0);
        assert_eq!(b[2].height, 0.0);
        assert_eq!(b[1].x, 105.0);
        assert!(bars(&[], 1.0, 1.0, 0.0).is_empty());
    }

    #[test]
    fn lines_and_ticks() {
        let pts = line_points(&[0.0, 10.0], 100.0, 50.0);
        assert_eq!(pts, vec![(0.0, 50.0), (100.0, 0.0)]);
        assert_eq!(path(&pts), "M0.0 50.0 L100.0 0.0");
        assert_eq!(ticks(8.0, 2), vec![0.0, 5.0, 10.0]);
    }
}
