//! SVG charts drawn from Rust (no JavaScript chart library): bars and a line.

use crate::state::charts::{bars, line_points, path, ticks};
use yew::prelude::*;

const W: f64 = 560.0;
const H: f64 = 200.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// `(label, value, value shown on hover)`.
    pub data: Vec<(String, f64, String)>,
    pub title: AttrValue,
    /// Formats axis values.
    #[prop_or(Callback::from(|v: f64| format!("{v:.0}")))]
    pub axis: Callback<f64, String>,
}

fn axis(max: f64, fmt: &Callback<f64, String>) -> Html {
    html! {
        { for ticks(max, 4).into_iter().map(|t| {
            let y = H - (t / ticks(max, 4).last().copied().unwrap_or(1.0).max(1e-9)) * H;
            html! {
                <g>
                    <line class="grid" x1={LEFT.to_string()} x2={(LEFT + W).to_string()} y1={y.to_string()} y2={y.to_string()} />
                    <text class="axis" x={(LEFT - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ fmt.emit(t) }</text>
                </g>
            }
        }) }
    }
}

#[function_component(BarChart)]
pub fn bar_chart(props: &ChartProps) -> Html {
    let values: Vec<f64> = props.data.iter().map(|d| d.1).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let geometry = bars(&values, W, H, 18.0);
    html! {
        <svg class="chart" viewBox={format!("0 0 {} {}", LEFT + W + 8.0, H + BOTTOM)} role="img" aria-label={props.title.clone()}>
            { axis(max, &props.axis) }
            { for geometry.iter().zip(&props.data).map(|(b, (label, _, shown))| html! {
                <g class="bar">
                    <rect x={(LEFT + b.x).to_string()} y={b.y.to_string()} width={b.width.to_string()} height={b.height.to_string()} rx="3">
                        <title>{ format!("{label}: {shown}") }</title>
                    </rect>
                    <text class="axis" x={(LEFT + b.x + b.width / 2.0).to_string()} y={(H + 18.0).to_string()} text-anchor="middle">{ label.clone() }</text>
                </g>
            }) }
        </svg>
    }
}

#[function_component(LineChart)]
pub fn line_chart(props: &ChartProps) -> Html {
    let values: Vec<f64> = props.data.iter().map(|d| d.1).collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let points: Vec<(f64, f64)> = line_points(&values, W, H).into_iter().map(|(x, y)| (x + LEFT, y)).collect();
    html! {
        <svg class="chart" viewBox={format!("0 0 {} {}", LEFT + W + 8.0, H + BOTTOM)} role="img" aria-label={props.title.clone()}>
            { axis(max, &props.axis) }
            <path class="line" d={path(&points)} />
            { for points.iter().zip(&props.data).enumerate().map(|(i, ((x, y), (label, _, shown)))| html! {
                <g>
                    <circle class="dot" cx={x.to_string()} cy={y.to_string()} r="3.5"><title>{ format!("{label}: {shown}") }</title></circle>
                    if i % 2 == 0 {
                        <text class="axis" x={x.to_string()} y={(H + 18.0).to_string()} text-anchor="middle">{ label.clone() }</text>
                    }
                </g>
            }) }
        </svg>
    }
}
