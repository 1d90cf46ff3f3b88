use super::*;

fn by_tabled<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut b = Builder::default();
    b.push_record(header);
    for row in rows {
        b.push_record(row.iter().cloned());
    }
    let mut t = b.build();
    t.with(Style::psql());
    t.to_string()
}

proptest::proptest! {
    /// Laid out by hand, a table is exactly what the general layout gives: any cells, wide
    /// characters and empty ones included.
    #[test]
    fn the_direct_layout_is_the_general_one(
        rows in proptest::collection::vec(
            proptest::array::uniform3("[a-z0-9 éü日本-]{0,12}"),
            0..12,
        )
    ) {
        let header = ["id", "state", "title"];
        // Wide enough that nothing wraps, on a screen or not.
        proptest::prop_assert_eq!(grid(header, &rows, 10_000), by_tabled(header, &rows));
    }

    /// Written a row at a time, rows whose cells span lines (the annual report's first
    /// column is an id over a title) are exactly what the general layout gives.
    #[test]
    fn rows_that_span_lines_are_written_as_the_general_layout_lays_them_out(
        rows in proptest::collection::vec(
            proptest::array::uniform3("[a-z0-9 éü日本\n-]{0,12}"),
            0..12,
        )
    ) {
        let header = ["id", "state", "title"];
        let mut columns = Columns::new(header);
        for row in &rows {
            columns.add(row);
        }
        let mut written = String::new();
        columns.push_header(&mut written, header);
        for row in &rows {
            written.push('\n');
            columns.push_row(&mut written, row);
        }
        proptest::prop_assert_eq!(written, by_tabled(header, &rows));
    }
}
