//! Go's `text/tabwriter` with `AlignRight`, minwidth 0, padding 1, as pprof's `-tags` uses
//! it. (The tabwriter crate pads after right-aligned cells; Go pads before them.)

/// Aligns tab-terminated cells into columns: a column is a run of consecutive lines that
/// all have a tab-terminated cell at that position; a line's last cell is not aligned.
pub fn align_right(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    // widths[line][column]
    let mut widths: Vec<Vec<usize>> = lines
        .iter()
        .map(|l| vec![0; l.len().saturating_sub(1)])
        .collect();
    let max_cols = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    for col in 0..max_cols.saturating_sub(1) {
        let mut i = 0;
        while i < lines.len() {
            if lines[i].len() <= col + 1 {
                i += 1;
                continue;
            }
            let start = i;
            let mut width = 0;
            while i < lines.len() && lines[i].len() > col + 1 {
                width = width.max(lines[i][col].chars().count());
                i += 1;
            }
            for w in &mut widths[start..i] {
                w[col] = width + 1;
            }
        }
    }
    let mut out = String::with_capacity(text.len() * 2);
    for (n, (cells, widths)) in lines.iter().zip(&widths).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        for (c, cell) in cells.iter().enumerate() {
            if let Some(&w) = widths.get(c) {
                let pad = w.saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(cell);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::align_right;

    #[test]
    fn pads_before_cells_per_column_block() {
        let t = "key:\t Total 3\n \t1 (50%):\t a\n \t22 (50%):\t b\n\nk2:\t x\n";
        assert_eq!(
            align_right(t),
            " key: Total 3\n       1 (50%): a\n      22 (50%): b\n\n k2: x\n"
        );
    }
}
