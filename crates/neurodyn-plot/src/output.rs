//! File output: every figure is drawn to a hidden temporary file in the
//! destination folder, then made durable and renamed into place.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::{Figure, PlotError, draw_figure, font_registered, invalid};

pub(crate) fn write_both(
    base: &Path,
    size: (u32, u32),
    fig: &Figure<'_>,
) -> Result<[PathBuf; 2], PlotError> {
    let png = write_png(base, size, fig)?;
    let name = base.file_name().and_then(|n| n.to_str()).unwrap_or("plot");
    let svg = base.with_file_name(format!("{name}.svg"));
    atomic_write(&svg, |tmp| {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
            draw_figure(&root, fig)?;
            root.present()?;
        }
        std::fs::write(tmp, text).map_err(IoOrDraw::Io)
    })?;
    Ok([png, svg])
}

/// The file name of `base`, after creating its folder and checking the font.
pub(crate) fn prepare(base: &Path) -> Result<&str, PlotError> {
    let name = base
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid(base, "base path has no (UTF-8) file name".into()))?;
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| PlotError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    if !font_registered() {
        return Err(PlotError::Draw {
            path: base.to_path_buf(),
            message: "bundled font is invalid".into(),
        });
    }
    Ok(name)
}

pub(crate) fn write_png(
    base: &Path,
    size: (u32, u32),
    fig: &Figure<'_>,
) -> Result<PathBuf, PlotError> {
    let name = prepare(base)?;
    let png = base.with_file_name(format!("{name}.png"));
    atomic_write(&png, |tmp| {
        // The bitmap encoder picks the format from the extension, so the
        // temporary name keeps a trailing `.png`.
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        draw_figure(&root, fig)?;
        Ok(root.present()?)
    })?;
    Ok(png)
}

/// Failure inside [`atomic_write`]'s drawing closure.
pub(crate) enum IoOrDraw {
    Io(std::io::Error),
    Draw(String),
}
impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for IoOrDraw {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        IoOrDraw::Draw(e.to_string())
    }
}

/// Write `dest` atomically through the workspace's one implementation
/// ([`neurodyn_atomic::AtomicFile`]: temporary file keeping the extension,
/// fsync, rename, fsync of the folder; removed on error or interrupt):
/// `draw` writes the temporary path.
pub(crate) fn atomic_write(
    dest: &Path,
    draw: impl FnOnce(&Path) -> Result<(), IoOrDraw>,
) -> Result<(), PlotError> {
    let io = |e: neurodyn_core::Error| match e {
        neurodyn_core::Error::Io { path, source } => PlotError::Io { path, source },
        other => PlotError::Io {
            path: dest.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    };
    let file = neurodyn_atomic::AtomicFile::create_keeping_extension(dest).map_err(io)?;
    match draw(file.temp_path()) {
        Ok(()) => {}
        Err(IoOrDraw::Io(source)) => {
            return Err(PlotError::Io {
                path: file.temp_path().to_path_buf(),
                source,
            });
        }
        Err(IoOrDraw::Draw(message)) => {
            return Err(PlotError::Draw {
                path: dest.to_path_buf(),
                message,
            });
        }
    }
    file.commit().map_err(io)
}
