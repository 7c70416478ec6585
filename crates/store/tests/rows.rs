//! Statements and rows on both engines the same way: `$n` placeholders bound by number (out of
//! order and repeated), `#[derive(Row)]` with `skip`, `flatten` and `try_from`, tuples, nulls and
//! booleans; a read handle cannot write.
use rapport_store::{testing, Conn, Row, Stmt, StoreError};

#[derive(Debug, PartialEq, Row)]
struct Inner {
    flag: bool,
    note: Option<String>,
}

#[derive(Debug, PartialEq)]
struct Even(i64);

impl TryFrom<i64> for Even {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        if value % 2 == 0 {
            Ok(Even(value))
        } else {
            Err(format!("{value} is odd"))
        }
    }
}

#[derive(Debug, PartialEq, Row)]
struct Outer {
    id: i64,
    name: String,
    #[row(flatten)]
    inner: Inner,
    #[row(try_from = "i64")]
    even: Even,
    ratio: f64,
    #[row(skip)]
    later: Vec<i64>,
}

#[tokio::test]
async fn placeholders_bind_by_number_and_rows_decode_alike_on_both_engines() {
    for db in testing::all().await {
        let backend = db.backend();
        // `$2` before `$1`, and `$1` twice.
        let row: Outer = db
            .read()
            .fetch_one(
                Stmt::new(
                    "SELECT $1 AS id, $2 AS name, $3 AS flag, $4 AS note, $1 + $1 AS even, CAST($5 AS DOUBLE PRECISION) AS ratio",
                )
                .arg(21_i64)
                .arg("twenty-one")
                .arg(true)
                .arg(None::<String>)
                .arg(1.5_f64),
            )
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        let expected = Outer {
            id: 21,
            name: "twenty-one".into(),
            inner: Inner { flag: true, note: None },
            even: Even(42),
            ratio: 1.5,
            later: Vec::new(),
        };
        assert_eq!(row, expected, "{backend:?}");

        let pair: (String, i64) =
            db.read().fetch_one(Stmt::new("SELECT $2, $1").arg(7_i64).arg("seven")).await.unwrap();
        assert_eq!(pair, ("seven".to_string(), 7), "{backend:?}");

        // A column that does not convert names itself.
        let odd = db
            .read()
            .fetch_one::<Outer>(Stmt::new(
                "SELECT CAST(1 AS BIGINT) AS id, 'x' AS name, FALSE AS flag, 'n' AS note, CAST(3 AS BIGINT) AS even, CAST(0 AS DOUBLE PRECISION) AS ratio",
            ))
            .await
            .unwrap_err();
        assert!(odd.to_string().contains("even") && odd.to_string().contains("3 is odd"), "{backend:?}: {odd}");

        // A write through the read handle is refused (SQLite: read connections are query_only).
        if backend == rapport_store::Backend::Sqlite {
            let refused = db.read().execute(Stmt::new("UPDATE workspaces SET name = 'x'")).await.unwrap_err();
            assert!(matches!(refused, StoreError::Sqlite(_)), "{refused:?}");
        }
    }
}
