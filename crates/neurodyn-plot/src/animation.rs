//! Animations: frames of panel grids encoded as a GIF with a fixed palette.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::output::{IoOrDraw, atomic_write, prepare};
use crate::{Chart, Figure, PlotError, data_ranges, draw_figure, panel_layout, validate};

/// Write an animation to `<base>.gif`: `n_frames` frames, frame `k` being
/// `frame(k)`, a grid of panels in `columns` columns under its title, shown
/// for `frame_delay_ms` each. Frames are made one at a time as they are
/// encoded, so memory holds one frame whatever their number. Written under
/// a temporary name and renamed, like the still figures. Fails with
/// [`PlotError::NoData`] when no frame has data.
pub fn save_gif(
    n_frames: usize,
    frame: impl Fn(usize) -> (String, Vec<Chart>),
    columns: usize,
    base: &Path,
    frame_delay_ms: u32,
) -> Result<PathBuf, PlotError> {
    // Every frame has the layout of the first one with data.
    let has_data = |p: &[Chart]| p.iter().any(|c| data_ranges(c).is_some());
    let Some((title, first)) = (0..n_frames).map(&frame).find(|(_, p)| has_data(p)) else {
        return Err(PlotError::NoData {
            path: base.to_path_buf(),
        });
    };
    let (size, _, columns) = panel_layout(&first, columns, base, &title)?;
    let name = prepare(base)?;
    let gif = base.with_file_name(format!("{name}.gif"));
    let palette = gif_palette();
    let delay = (frame_delay_ms / 10).min(u16::MAX as u32) as u16; // 1/100 s
    atomic_write(&gif, |tmp| {
        let file = std::fs::File::create(tmp).map_err(IoOrDraw::Io)?;
        let gif_err = |e: gif::EncodingError| IoOrDraw::Draw(format!("GIF encoding: {e}"));
        let (w, h) = (
            u16::try_from(size.0).map_err(|_| IoOrDraw::Draw("GIF wider than 65535".into()))?,
            u16::try_from(size.1).map_err(|_| IoOrDraw::Draw("GIF taller than 65535".into()))?,
        );
        let mut enc =
            gif::Encoder::new(std::io::BufWriter::new(file), w, h, &palette).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
        for k in 0..n_frames {
            let (title, panels) = frame(k);
            for p in &panels {
                validate(p, base).map_err(|e| IoOrDraw::Draw(e.to_string()))?;
            }
            let (title, panels) = (&title, &panels);
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                let rows = panels.len().div_ceil(columns);
                draw_figure(
                    &root,
                    &Figure::Panels {
                        panels,
                        rows,
                        columns,
                        title,
                    },
                )?;
                root.present()?;
            }
            let frame = gif::Frame {
                width: w,
                height: h,
                delay,
                buffer: std::borrow::Cow::Owned(rgb.chunks_exact(3).map(palette_index).collect()),
                ..Default::default()
            };
            enc.write_frame(&frame).map_err(gif_err)?;
        }
        Ok(())
    })?;
    Ok(gif)
}

/// The fixed GIF palette: a 6 x 6 x 6 colour cube (indices 0..216) and a
/// 40-step grey ramp (216..256). A fixed palette maps each pixel with a
/// few integer operations, where a per-frame quantiser (NeuQuant) spent
/// 3 s on a 50-frame animation.
pub(crate) fn gif_palette() -> Vec<u8> {
    let mut p = Vec::with_capacity(768);
    for r in 0..6u8 {
        for g in 0..6u8 {
            for b in 0..6u8 {
                p.extend([r * 51, g * 51, b * 51]);
            }
        }
    }
    for k in 0..40u32 {
        let v = (k * 255 / 39) as u8;
        p.extend([v, v, v]);
    }
    p
}

/// Index of the nearest palette colour of an RGB pixel: greys (channels
/// within 8 of each other) on the fine ramp, everything else in the cube.
pub(crate) fn palette_index(px: &[u8]) -> u8 {
    let (r, g, b) = (px[0] as u32, px[1] as u32, px[2] as u32);
    let (lo, hi) = (r.min(g).min(b), r.max(g).max(b));
    if hi - lo <= 8 {
        let v = (r + g + b) / 3;
        return 216 + ((v * 39 + 127) / 255) as u8;
    }
    let q = |c: u32| (c * 5 + 127) / 255;
    (q(r) * 36 + q(g) * 6 + q(b)) as u8
}
