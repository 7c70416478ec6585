//! A small mutator for the stable bounded run: byte-level edits (flips, inserts, deletes,
//! duplications, splices, dictionary words, boundary numbers) and, for JSON targets, edits of the
//! parsed tree (replacing, duplicating, nesting and dropping nodes). No coverage feedback: that
//! is what the libFuzzer run under `fuzz/` is for.
use serde_json::{json, Map, Value};

/// xorshift64*: deterministic for a given seed, so a failing run can be repeated with `--seed`.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Inputs longer than this are cut: the parsers' own limits are far below.
const MAX_INPUT: usize = 128 * 1024;

/// Numbers at the edges of the types the parsers convert to.
const NUMBERS: [&str; 12] = [
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "2147483648",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e308",
    "-0.0",
];

/// A new input from the corpus: a mutated copy of one entry.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], dictionary: &[&str], json: bool) -> Vec<u8> {
    let seed = if corpus.is_empty() { Vec::new() } else { corpus[rng.below(corpus.len())].clone() };
    if json && rng.chance(2) {
        if let Ok(mut value) = serde_json::from_slice::<Value>(&seed) {
            for _ in 0..=rng.below(4) {
                mutate_tree(rng, &mut value, dictionary, 0);
            }
            return serde_json::to_vec(&value).unwrap_or(seed);
        }
    }
    let mut data = seed;
    for _ in 0..=rng.below(8) {
        mutate_bytes(rng, &mut data, corpus, dictionary);
    }
    data.truncate(MAX_INPUT);
    data
}

fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>], dictionary: &[&str]) {
    let at = |rng: &mut Rng, data: &Vec<u8>| rng.below(data.len() + 1);
    match rng.below(9) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = rng.next_u64() as u8;
        }
        2 => {
            let i = at(rng, data);
            const BYTES: &[u8] = b"\0\r\n \"'<>{}[]:,\\=.-_@%$";
            let byte = BYTES[rng.below(BYTES.len())];
            data.insert(i, byte);
        }
        3 if !data.is_empty() => {
            let start = rng.below(data.len());
            let end = (start + 1 + rng.below(16)).min(data.len());
            data.drain(start..end);
        }
        4 if !data.is_empty() => {
            let start = rng.below(data.len());
            let end = (start + 1 + rng.below(64)).min(data.len());
            let copy = data[start..end].repeat(1 + rng.below(64));
            let i = at(rng, data);
            data.splice(i..i, copy);
        }
        5 if !dictionary.is_empty() => {
            let word = dictionary[rng.below(dictionary.len())].as_bytes();
            let i = at(rng, data);
            data.splice(i..i, word.iter().copied());
        }
        6 => {
            let word = NUMBERS[rng.below(NUMBERS.len())].as_bytes();
            let i = at(rng, data);
            data.splice(i..i, word.iter().copied());
        }
        7 if !corpus.is_empty() => {
            let other = &corpus[rng.below(corpus.len())];
            let from = rng.below(other.len() + 1);
            let i = at(rng, data);
            data.truncate(i);
            data.extend_from_slice(&other[from..]);
        }
        _ => {
            let i = at(rng, data);
            let c = char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{FFFD}');
            let mut buffer = [0u8; 4];
            data.splice(i..i, c.encode_utf8(&mut buffer).bytes());
        }
    }
}

fn random_leaf(rng: &mut Rng, dictionary: &[&str]) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => serde_json::from_str(NUMBERS[rng.below(NUMBERS.len())]).unwrap_or(Value::Null),
        3 => json!(rng.next_u64() as i64 % 1000),
        4 => json!(""),
        5 => json!("x".repeat(rng.below(2000))),
        6 if !dictionary.is_empty() => json!(dictionary[rng.below(dictionary.len())].trim_matches('"')),
        _ => json!(char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{FFFD}').to_string()),
    }
}

/// Edits one node of the tree, chosen by a random walk from the root.
fn mutate_tree(rng: &mut Rng, value: &mut Value, dictionary: &[&str], depth: usize) {
    let descend = depth < 12 && rng.below(3) != 0;
    match value {
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.below(items.len());
            mutate_tree(rng, &mut items[i], dictionary, depth + 1);
        }
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
            if let Some(child) = map.get_mut(&key) {
                mutate_tree(rng, child, dictionary, depth + 1);
            }
        }
        _ => match rng.below(7) {
            0 => *value = random_leaf(rng, dictionary),
            1 => *value = json!([value.take()]),
            2 => {
                let key = dictionary.get(rng.below(dictionary.len().max(1))).copied().unwrap_or("x");
                let key = key.split(':').next().unwrap_or(key).trim_matches(|c| c == '"' || c == '{');
                *value = Value::Object(Map::from_iter([(key.to_string(), value.take())]));
            }
            3 => match value {
                Value::Array(items) if !items.is_empty() => {
                    let copy = items[rng.below(items.len())].clone();
                    let times = 1 + rng.below(20);
                    items.extend(std::iter::repeat_n(copy, times));
                }
                Value::Object(map) if !map.is_empty() => {
                    let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
                    map.remove(&key);
                }
                other => *other = random_leaf(rng, dictionary),
            },
            4 => {
                if let Value::Object(map) = value {
                    let key = dictionary.get(rng.below(dictionary.len().max(1))).copied().unwrap_or("x");
                    let key = key.split(':').next().unwrap_or(key).trim_matches(|c| c == '"' || c == '{');
                    map.insert(key.to_string(), random_leaf(rng, dictionary));
                } else {
                    *value = random_leaf(rng, dictionary);
                }
            }
            5 => {
                if let Value::String(s) = value {
                    let word = dictionary.get(rng.below(dictionary.len().max(1))).copied().unwrap_or("");
                    s.push_str(word.trim_matches('"'));
                } else {
                    *value = random_leaf(rng, dictionary);
                }
            }
            _ => *value = Value::String(value.to_string()),
        },
    }
}
