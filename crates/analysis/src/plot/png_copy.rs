//! PNG copies of the SVG plots, for viewers that do not show SVG.
//!
//! resvg rasterises the SVG at its own size. The font is embedded (DejaVu Sans, under its
//! licence in `assets/DejaVuSans-LICENSE`) and stands for plotters' generic `sans-serif`, so
//! a plot's PNG is the same bytes on every machine, whatever fonts it has installed: a merge
//! of shards reproduces the one-machine run's PNGs as it does its SVGs.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{fontdb, Options, Tree};

use crate::error::AnalysisError;

/// The one font of every PNG copy.
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family name that `FONT` declares.
const FONT_FAMILY: &str = "DejaVu Sans";

/// The font database, built once: the embedded font, standing for every generic family.
fn fonts() -> Arc<fontdb::Database> {
    static FONTS: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut database = fontdb::Database::new();
            database.load_font_data(FONT.to_vec());
            database.set_sans_serif_family(FONT_FAMILY);
            database.set_serif_family(FONT_FAMILY);
            database.set_monospace_family(FONT_FAMILY);
            Arc::new(database)
        })
        .clone()
}

/// Renders `svg` into PNG bytes at the SVG's size (one pixel per SVG unit).
pub fn png_copy(svg: &str) -> Result<Vec<u8>, AnalysisError> {
    let error = |reason: String| AnalysisError::Plot { plot: "png copy", reason };
    let options = Options { fontdb: fonts(), ..Options::default() };
    let tree = Tree::from_str(svg, &options).map_err(|e| error(format!("unreadable SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height())
        .ok_or_else(|| error(format!("no image of {}x{} pixels", size.width(), size.height())))?;
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| error(format!("PNG encoding: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes a PNG copy into (width, height, RGBA pixels).
    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let pixmap = Pixmap::decode_png(png).expect("a PNG");
        (pixmap.width(), pixmap.height(), pixmap.data().to_vec())
    }

    fn svg(body: &str) -> String {
        format!(
            "<svg width=\"120\" height=\"40\" viewBox=\"0 0 120 40\" \
             xmlns=\"http://www.w3.org/2000/svg\">\
             <rect x=\"0\" y=\"0\" width=\"120\" height=\"40\" fill=\"#FFFFFF\"/>{body}</svg>"
        )
    }

    /// Pixels that are not white.
    fn inked(pixels: &[u8]) -> usize {
        pixels.chunks(4).filter(|p| p[0] < 250 || p[1] < 250 || p[2] < 250).count()
    }

    #[test]
    fn text_is_drawn_in_the_embedded_font_at_the_svg_size() {
        let blank = decode(&png_copy(&svg("")).unwrap());
        let text = "<text x=\"4\" y=\"28\" font-family=\"sans-serif\" font-size=\"20\" \
                    fill=\"#000000\">escape</text>";
        let (width, height, pixels) = decode(&png_copy(&svg(text)).unwrap());
        assert_eq!((width, height), (120, 40));
        assert_eq!(inked(&blank.2), 0);
        // Six glyphs of 20 px: hundreds of inked pixels, inside the text's box only.
        let ink = inked(&pixels);
        assert!(ink > 150, "only {ink} inked pixels: the text was not drawn");
        let below_baseline =
            pixels.chunks(4 * 120).skip(36).flatten().copied().collect::<Vec<u8>>();
        assert_eq!(inked(&below_baseline), 0, "ink below the text's descent");
    }

    #[test]
    fn the_copy_is_deterministic_and_follows_the_drawing() {
        let line = |y: u32| {
            format!("<line x1=\"0\" y1=\"{y}\" x2=\"120\" y2=\"{y}\" stroke=\"#000000\"/>")
        };
        let first = png_copy(&svg(&line(10))).unwrap();
        assert_eq!(first, png_copy(&svg(&line(10))).unwrap());
        assert_ne!(first, png_copy(&svg(&line(20))).unwrap());
    }

    #[test]
    fn an_unreadable_svg_is_an_error_naming_the_copy() {
        let error = png_copy("<svg").unwrap_err().to_string();
        assert!(error.starts_with("plot `png copy`: unreadable SVG"), "{error}");
    }
}
