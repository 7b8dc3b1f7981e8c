//! Many windows at once: in batches of at most `ONE_BATCH`, so that memory stays bounded, and
//! the batches shared out between threads (`map_batches`). Each batch is computed exactly as it
//! would be alone, on one thread, so the bits do not depend on how many threads there are.

use anyhow::Result;
use tch::Device;

/// Windows run through the model (or a design matrix) at once at most. Up to it, one batch, as
/// the Python reference does; a longer series in batches of this many, so that memory stays
/// bounded.
pub const ONE_BATCH: usize = 1 << 16;

/// (first, count) of each batch of at most `ONE_BATCH` out of `n` windows.
pub fn batches_of(n: usize) -> impl Iterator<Item = (i64, i64)> {
    (0..n).step_by(ONE_BATCH).map(move |first| (first as i64, ONE_BATCH.min(n - first) as i64))
}

/// How many threads may each take a batch: the cores over libtorch's intra-op threads (each
/// batch keeps those), on the CPU; one on a GPU, which runs its batches in turn anyway.
pub fn workers(device: Device) -> usize {
    match device {
        Device::Cpu => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            (cores / tch::get_num_threads().max(1) as usize).max(1)
        }
        _ => 1,
    }
}

/// One state per worker thread (`workers(device)` of them), each made by `make`: that thread's
/// own handles to what the batches read.
pub fn per_worker<S>(device: Device, make: impl Fn() -> S) -> Vec<S> {
    (0..workers(device)).map(|_| make()).collect()
}

/// `work(state, first, count)` for each batch of `batches_of(n)`, the results handed to `each` in
/// batch order as they come, so that few are held at once. Each of `states` is one thread's own
/// handles to what `work` reads (a tch `Tensor` may move to another thread but not be shared by
/// two); with one state, or one batch, it all runs here.
pub fn for_batches<S: Send, T: Send>(
    n: usize,
    states: Vec<S>,
    work: impl Fn(&S, i64, i64) -> Result<T> + Sync,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let batches: Vec<(i64, i64)> = batches_of(n).collect();
    // a signal's stop: no batch begun after it
    let work = |state: &S, first, count| {
        crate::signals::check("a pass over the windows")?;
        work(state, first, count)
    };
    if states.len() <= 1 || batches.len() <= 1 {
        let Some(state) = states.first() else { return Ok(()) };
        return batches.iter().try_for_each(|&(first, count)| each(work(state, first, count)?));
    }
    // The intra-op threads libtorch has here, which a new thread would otherwise take from
    // OpenMP's defaults.
    let (threads, n_states) = (tch::get_num_threads(), states.len());
    std::thread::scope(|scope| {
        // Thread i takes batches i, i + n_states, ...; each hands over one result at a time, so
        // that at most two a thread are held.
        let handed: Vec<_> = states
            .into_iter()
            .enumerate()
            .map(|(i, state)| {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let (work, batches) = (&work, &batches);
                scope.spawn(move || {
                    tch::set_num_threads(threads);
                    for &(first, count) in batches.iter().skip(i).step_by(n_states) {
                        let result = work(&state, first, count);
                        let failed = result.is_err();
                        if tx.send(result).is_err() || failed {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for b in 0..batches.len() {
            // (none comes only from a thread that panicked, which the scope then passes on)
            let Ok(result) = handed[b % n_states].recv() else { break };
            each(result?)?;
        }
        Ok(())
    })
}

/// `for_batches`, its results collected in batch order.
pub fn map_batches<S: Send, T: Send>(n: usize, states: Vec<S>, work: impl Fn(&S, i64, i64) -> Result<T> + Sync) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(n.div_ceil(ONE_BATCH));
    for_batches(n, states, work, |t| {
        out.push(t);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_windows_in_order() {
        let b: Vec<(i64, i64)> = batches_of(2 * ONE_BATCH + 5).collect();
        assert_eq!(b, vec![(0, ONE_BATCH as i64), (ONE_BATCH as i64, ONE_BATCH as i64), (2 * ONE_BATCH as i64, 5)]);
        assert_eq!(batches_of(0).count(), 0);
    }

    #[test]
    fn results_come_back_in_batch_order_whatever_the_threads() {
        let n = 7 * ONE_BATCH + 3;
        for threads in [1, 2, 3, 8] {
            let got = map_batches(n, vec![(); threads], |_, first, count| {
                // later batches finish first, so that an order of completion would show
                std::thread::sleep(std::time::Duration::from_millis((8 - first as u64 / ONE_BATCH as u64) * 3));
                Ok((first, count))
            })
            .unwrap();
            assert_eq!(got, batches_of(n).collect::<Vec<_>>(), "{threads} threads");
        }
    }

    #[test]
    fn a_failed_batch_fails_the_whole() {
        let r = map_batches(
            5 * ONE_BATCH,
            vec![(); 2],
            |_, first, _| if first == 2 * ONE_BATCH as i64 { anyhow::bail!("batch 2") } else { Ok(first) },
        );
        assert_eq!(r.unwrap_err().to_string(), "batch 2");
        let mut seen = vec![];
        let r = for_batches(
            3 * ONE_BATCH,
            vec![(); 2],
            |_, first, _| Ok(first),
            |first| {
                seen.push(first);
                if first > 0 {
                    anyhow::bail!("stop at {first}")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!((r.unwrap_err().to_string(), seen), ("stop at 65536".to_string(), vec![0, ONE_BATCH as i64]));
    }
}
