// Prints pgjdbc DatabaseMetaData answers, one line per row, for
// e2e/pgcatalog_test.go to compare between PostgreSQL and modelsql.
// Usage: java -cp postgresql.jar:. Meta URL USER PASSWORD TABLE
import java.sql.*;

public class Meta {
    static void dump(String what, ResultSet rs, String... cols) throws SQLException {
        while (rs.next()) {
            StringBuilder b = new StringBuilder(what);
            for (String c : cols) {
                b.append('|').append(c).append('=').append(rs.getString(c));
            }
            System.out.println(b);
        }
        rs.close();
    }

    public static void main(String[] a) throws Exception {
        try (Connection c = DriverManager.getConnection(a[0], a[1], a[2])) {
            DatabaseMetaData m = c.getMetaData();
            String t = a[3];
            dump("catalogs", m.getCatalogs(), "TABLE_CAT");
            dump("schemas", m.getSchemas(), "TABLE_SCHEM");
            dump("tables", m.getTables(null, null, "%", new String[] {"TABLE", "VIEW"}), "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
            dump("columns", m.getColumns(null, null, t, "%"), "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "NULLABLE", "ORDINAL_POSITION");
            dump("pk", m.getPrimaryKeys(null, null, t), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ");
            ResultSet ti = m.getTypeInfo();
            int n = 0;
            java.util.TreeSet<String> names = new java.util.TreeSet<>();
            while (ti.next()) { n++; names.add(ti.getString("TYPE_NAME")); }
            for (String s : new String[] {"int4", "int8", "varchar", "text", "numeric", "timestamptz", "bool", "float8"}) {
                System.out.println("typeinfo|" + s + "=" + names.contains(s));
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT i FROM generate_series(0, 4999) AS g(i)")) {
                ps.setFetchSize(100);
                ResultSet rs = ps.executeQuery();
                long k = 0;
                while (rs.next()) k++;
                System.out.println("fetchsize|rows=" + k);
            }
            c.commit();
        }
    }
}
