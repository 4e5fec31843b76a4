//! Balancing policies: pure code that chooses one backend per request from
//! what the balancer knows now. No I/O and no clock, so every policy is
//! tested exactly (or, for the random one, statistically over fixed seeds).

use kit::hash::hash64;
use kit::rng::Rng;

/// One backend a policy may choose, as the balancer sees it at this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The backend's position in the balancer's list. Stable: it does not
    /// change when other backends go down or come back.
    pub id: usize,
    /// Its configured weight, at least 1.
    pub weight: u32,
    /// Requests sent to it that have not finished yet.
    pub in_flight: u32,
}

impl Candidate {
    /// A candidate of weight 1 with nothing in flight.
    pub fn new(id: usize) -> Self {
        Self {
            id,
            weight: 1,
            in_flight: 0,
        }
    }
}

/// Chooses a backend for each request.
///
/// `candidates` are the backends that may take this request (up, not
/// ejected, not already tried for it), in increasing `id` order; it changes
/// from call to call as backends come and go. `key` is the request's affinity
/// key (the client's IP address, a session id); only policies that promise
/// affinity look at it.
pub trait Policy: Send {
    /// The `id` of the chosen candidate, or `None` if `candidates` is empty.
    fn pick(&mut self, candidates: &[Candidate], key: &[u8]) -> Option<usize>;
}

impl<P: Policy + ?Sized> Policy for Box<P> {
    fn pick(&mut self, candidates: &[Candidate], key: &[u8]) -> Option<usize> {
        (**self).pick(candidates, key)
    }
}

/// The first candidate whose id comes after `last` in a circle of ids: the
/// next one up, or the lowest if none is higher (or nothing was chosen yet).
fn next_after(candidates: &[Candidate], last: Option<usize>) -> Option<&Candidate> {
    let after = last.map_or(0, |last| candidates.partition_point(|c| c.id <= last));
    candidates.get(after).or_else(|| candidates.first())
}

/// Round robin: each backend in turn, starting with the lowest id.
///
/// It remembers the id it chose last, not a position in the list, and picks
/// the first candidate with a higher id (wrapping to the lowest). So a backend
/// that leaves or returns does not make it skip one or choose one twice in a
/// row: after 0 and 1, with 0 gone, the next is 2.
#[derive(Debug, Default, Clone)]
pub struct RoundRobin {
    last: Option<usize>,
}

impl RoundRobin {
    /// A round robin whose first pick is the lowest id.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Policy for RoundRobin {
    fn pick(&mut self, candidates: &[Candidate], _key: &[u8]) -> Option<usize> {
        let chosen = next_after(candidates, self.last)?.id;
        self.last = Some(chosen);
        Some(chosen)
    }
}

/// Smooth weighted round robin, exactly as nginx's `upstream` does it.
///
/// Every backend keeps a current weight, starting at 0. For each pick, every
/// candidate's current weight grows by its weight; the candidate with the
/// largest current weight wins (the lowest id among equals), and the winner's
/// current weight drops by the sum of the candidates' weights. Weights 5, 1, 1
/// give `a a b a c a a`, and again: each backend gets its share, spread
/// out rather than in a burst of five. Current weights belong to backend
/// ids: a backend absent from a pick (down for a while) keeps its current
/// weight until it is a candidate again.
#[derive(Debug, Default, Clone)]
pub struct SmoothWeighted {
    /// Current weight by backend id; candidates absent from a pick keep theirs.
    current: Vec<i64>,
}

impl SmoothWeighted {
    /// Every current weight starts at 0.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Policy for SmoothWeighted {
    fn pick(&mut self, candidates: &[Candidate], _key: &[u8]) -> Option<usize> {
        let highest = candidates.last()?.id;
        if self.current.len() <= highest {
            self.current.resize(highest + 1, 0);
        }
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for c in candidates {
            let weight = i64::from(c.weight);
            self.current[c.id] += weight;
            total += weight;
            if best.is_none_or(|b| self.current[c.id] > self.current[b]) {
                best = Some(c.id);
            }
        }
        let best = best?;
        self.current[best] -= total;
        Some(best)
    }
}

/// Least connections: the candidate with the fewest requests in flight.
///
/// Ties go round robin among the tied (the first tied id after the one this
/// policy chose last, wrapping), so an idle fleet is not all sent to the
/// lowest id. Weights are ignored.
#[derive(Debug, Default, Clone)]
pub struct LeastConnections {
    last: Option<usize>,
}

impl LeastConnections {
    /// A least-connections policy; its first tie goes to the lowest id.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Policy for LeastConnections {
    fn pick(&mut self, candidates: &[Candidate], _key: &[u8]) -> Option<usize> {
        let fewest = candidates.iter().map(|c| c.in_flight).min()?;
        let tied: Vec<Candidate> = candidates
            .iter()
            .filter(|c| c.in_flight == fewest)
            .copied()
            .collect();
        let chosen = next_after(&tied, self.last)?.id;
        self.last = Some(chosen);
        Some(chosen)
    }
}

/// The power of two choices: draw two different candidates uniformly at
/// random and send the request to the one with fewer requests in flight; on
/// a tie, the first drawn (so among equals every candidate is equally
/// likely). A single candidate is chosen as is.
///
/// Almost as good as least connections and it needs only two loads, not all
/// of them: the default of Envoy (`LEAST_REQUEST`).
#[derive(Debug, Clone)]
pub struct PowerOfTwo {
    rng: Rng,
}

impl PowerOfTwo {
    /// Draws from `rng`, so a seed fixes every choice.
    pub fn new(rng: Rng) -> Self {
        Self { rng }
    }
}

impl Policy for PowerOfTwo {
    fn pick(&mut self, candidates: &[Candidate], _key: &[u8]) -> Option<usize> {
        let n = candidates.len() as u64;
        match n {
            0 => None,
            1 => Some(candidates[0].id),
            _ => {
                let i = self.rng.below(n) as usize;
                // A second draw among the other n - 1, so the two differ.
                let mut j = self.rng.below(n - 1) as usize;
                if j >= i {
                    j += 1;
                }
                let (a, b) = (candidates[i], candidates[j]);
                Some(if b.in_flight < a.in_flight {
                    b.id
                } else {
                    a.id
                })
            }
        }
    }
}

/// Consistent hashing for affinity: requests with the same key go to the
/// same backend while it is a candidate, whatever the load.
///
/// Each backend id owns `vnodes` points on a ring of `u64`, which depend on
/// the id alone (hashed with [`kit::hash`], so every balancer, every run and
/// every order of first sight agrees); a key hashes to a point and goes to
/// the first point clockwise whose backend is a candidate. With enough
/// points (say 100 per backend) every backend holds a near-even share of the
/// keys. When a backend leaves, only its keys move, spread over the others;
/// when it returns they come back, and a new backend takes keys only for
/// itself.
#[derive(Debug, Clone)]
pub struct ConsistentHash {
    vnodes: u32,
    /// (point, backend id), sorted; holds the points of every id seen so far.
    ring: Vec<(u64, usize)>,
    /// Ids whose points are on the ring.
    placed: Vec<bool>,
}

impl ConsistentHash {
    /// A ring with `vnodes` points per backend.
    ///
    /// # Panics
    /// If `vnodes` is zero: "a consistent-hash ring needs at least one point per backend".
    pub fn new(vnodes: u32) -> Self {
        assert!(
            vnodes > 0,
            "a consistent-hash ring needs at least one point per backend"
        );
        Self {
            vnodes,
            ring: Vec::new(),
            placed: Vec::new(),
        }
    }

    /// Puts the points of every candidate not yet on the ring.
    fn place(&mut self, candidates: &[Candidate]) {
        let mut added = false;
        for c in candidates {
            if self.placed.len() <= c.id {
                self.placed.resize(c.id + 1, false);
            }
            if !self.placed[c.id] {
                self.placed[c.id] = true;
                added = true;
                for v in 0..self.vnodes {
                    let label = format!("backend-{}#{v}", c.id);
                    self.ring.push((hash64(label.as_bytes()), c.id));
                }
            }
        }
        if added {
            self.ring.sort_unstable();
        }
    }
}

impl Policy for ConsistentHash {
    fn pick(&mut self, candidates: &[Candidate], key: &[u8]) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        self.place(candidates);
        let start = self.ring.partition_point(|&(point, _)| point < hash64(key));
        let (below, from) = self.ring.split_at(start);
        from.iter()
            .chain(below)
            .map(|&(_, id)| id)
            .find(|id| candidates.binary_search_by_key(id, |c| c.id).is_ok())
    }
}
