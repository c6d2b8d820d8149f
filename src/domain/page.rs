//! Pagination shared by every list.

/// A 1-based page request with a fixed page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub number: u32,
    pub size: u32,
}

impl PageRequest {
    pub const DEFAULT_SIZE: u32 = 25;

    /// Any page number a user can type is accepted; nonsense falls back to page 1.
    pub fn new(number: Option<u32>, size: u32) -> Self {
        Self {
            number: number.filter(|n| *n >= 1).unwrap_or(1).min(1_000_000),
            size,
        }
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.size)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }
}

/// A page of a list that grows without end (the event log), read by keyset: the rows after
/// `after` (the last row of the page before), newest first, never by OFFSET, so a deep page
/// costs what the first does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeysetRequest<K> {
    pub after: Option<K>,
    pub size: u32,
}

/// One keyset page: its rows, the key to ask for the next page with (none on the last), and
/// how many rows the whole list has.
#[derive(Debug, Clone)]
pub struct KeysetPage<T, K> {
    pub items: Vec<T>,
    pub next: Option<K>,
    pub total: i64,
}

/// Splits `rows`, read with one more than `size` asked for, into the page and the key of the
/// next one: the extra row, when there is one, only says another page follows (its key is the
/// last row kept).
pub fn split_keyset<T, K>(
    mut rows: Vec<T>,
    size: u32,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<K>) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if rows.len() > size {
        rows.truncate(size);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

impl<T, K> KeysetPage<T, K> {
    /// The page made of `rows` (see [`split_keyset`]) in a list of `total` rows.
    pub fn cut(
        rows: Vec<T>,
        request: &KeysetRequest<K>,
        total: i64,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let (items, next) = split_keyset(rows, request.size, key);
        Self { items, next, total }
    }
}

/// One page of rows plus what a pager needs.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub number: u32,
    pub size: u32,
    pub total: i64,
}

impl<T> Page<T> {
    /// The first page of a list known to be empty.
    pub fn empty(size: u32) -> Self {
        Self {
            items: Vec::new(),
            number: 1,
            size,
            total: 0,
        }
    }

    pub fn last_number(&self) -> u32 {
        let pages = (self.total + i64::from(self.size) - 1) / i64::from(self.size);
        u32::try_from(pages.max(1)).unwrap_or(u32::MAX)
    }

    pub fn has_previous(&self) -> bool {
        self.number > 1
    }

    pub fn has_next(&self) -> bool {
        self.number < self.last_number()
    }
}
