//! When a request's loaders run their statements: level by level, as soon
//! as the request has nothing left to do, never after a fixed wait.
//!
//! async-graphql resolves a request in its own task: a resolver that needs
//! a loader registers its key and waits. A loader's batch (a task of its
//! own) is held in [`Dispatch::turn`] until the request is idle: not being
//! polled, not woken for another poll, and no other batch of it running
//! (whose rows would bring more keys of the next level). Then every held
//! batch goes at once, each with every key gathered so far: one statement
//! per loader per level, however the level's rows arrived.
//!
//! A poll that ends with the task woken (the combinators behind long lists
//! hand back control that way every so many items, with work still to do;
//! or a batch's rows arrived meanwhile) is not idle: the next poll is near.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use tokio::sync::oneshot;

/// One request's polls and batches, as its loaders see them.
#[derive(Debug, Default)]
pub struct Dispatch {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Inside [`Dispatch::run`]; outside it (a subscription's events, say)
    /// batches go at once.
    marked: bool,
    /// The request has ended: held batches go, and so do later ones.
    ended: bool,
    polling: bool,
    /// Woken since its last poll began: another poll is coming.
    woken: bool,
    /// Batches running.
    running: usize,
    /// Batches held for the request to be idle.
    held: Vec<oneshot::Sender<()>>,
}

impl State {
    fn idle(&self) -> bool {
        !self.polling && !self.woken && self.running == 0
    }

    /// Lets every held batch go, when the request is idle (or over).
    fn release(&mut self) {
        if self.ended || (self.marked && self.idle()) {
            self.running += self.held.len();
            for batch in self.held.drain(..) {
                let _ = batch.send(());
            }
        }
    }
}

impl Dispatch {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `request`, watching its polls.
    pub fn run<F: Future>(self: &Arc<Self>, request: F) -> Marked<F> {
        self.state().marked = true;
        Marked {
            inner: Box::pin(request),
            relay: Arc::new(Relay {
                dispatch: self.clone(),
                waker: Mutex::new(Waker::noop().clone()),
            }),
        }
    }

    /// Waits for a batch's turn; the batch is counted as running until the
    /// returned guard drops.
    pub async fn turn(self: &Arc<Self>) -> Running {
        let turn = {
            let mut state = self.state();
            if !state.marked || state.ended || state.idle() {
                state.running += 1;
                None
            } else {
                let (go, turn) = oneshot::channel();
                state.held.push(go);
                Some(turn)
            }
        };
        if let Some(turn) = turn {
            // A dropped sender means the dispatch itself is gone.
            let _ = turn.await;
        }
        Running(self.clone())
    }
}

/// A batch counted as running ([`Dispatch::turn`]).
pub struct Running(Arc<Dispatch>);

impl Drop for Running {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.running = state.running.saturating_sub(1);
        state.release();
    }
}

/// A request future whose polls its loaders can see ([`Dispatch::run`]).
pub struct Marked<F> {
    inner: Pin<Box<F>>,
    relay: Arc<Relay>,
}

/// The waker the request is polled with: it notes the wake, then passes it
/// on to the runtime's.
struct Relay {
    dispatch: Arc<Dispatch>,
    waker: Mutex<Waker>,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.dispatch.state().woken = true;
        self.waker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .wake_by_ref();
    }
}

impl<F: Future> Future for Marked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let relay = self.relay.clone();
        {
            let mut waker = relay.waker.lock().unwrap_or_else(|e| e.into_inner());
            if !waker.will_wake(cx.waker()) {
                waker.clone_from(cx.waker());
            }
        }
        {
            let mut state = relay.dispatch.state();
            state.polling = true;
            state.woken = false;
        }
        // Ends the poll even if it panics.
        let _ended = PollEnd(&relay.dispatch);
        let waker = Waker::from(relay.clone());
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

impl<F> Drop for Marked<F> {
    fn drop(&mut self) {
        let mut state = self.relay.dispatch.state();
        state.ended = true;
        state.release();
    }
}

struct PollEnd<'a>(&'a Dispatch);

impl Drop for PollEnd<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.polling = false;
        state.release();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A batch task as the loaders spawn it: held for its turn, then it
    /// takes the keys gathered so far.
    fn batch(
        dispatch: &Arc<Dispatch>,
        keys: &Arc<AtomicUsize>,
    ) -> (tokio::task::JoinHandle<()>, oneshot::Receiver<usize>) {
        let (taken_tx, taken_rx) = oneshot::channel();
        let (dispatch, keys) = (dispatch.clone(), keys.clone());
        let task = tokio::spawn(async move {
            let _running = dispatch.turn().await;
            let _ = taken_tx.send(keys.load(Ordering::SeqCst));
        });
        (task, taken_rx)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_waits_for_the_poll_that_registered_it_to_end() {
        let dispatch = Arc::new(Dispatch::default());
        let keys = Arc::new(AtomicUsize::new(0));
        let request = {
            let (dispatch, keys) = (dispatch.clone(), keys.clone());
            async move {
                // The first key starts the batch task, which runs on
                // another thread while this poll goes on registering keys.
                let (task, taken) = batch(&dispatch, &keys);
                for _ in 0..100 {
                    keys.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                task.await.expect("batch task");
                taken.await.expect("taken")
            }
        };
        // On a worker thread, as a request runs.
        let taken = tokio::spawn(dispatch.run(request)).await.expect("request");
        assert_eq!(taken, 100);
    }

    /// Back to the runtime once, already woken, as `FuturesUnordered`
    /// does every so many items.
    struct HandBack(bool);

    impl Future for HandBack {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_poll_that_hands_back_control_with_work_left_is_not_idle() {
        let dispatch = Arc::new(Dispatch::default());
        let keys = Arc::new(AtomicUsize::new(0));
        let request = {
            let (dispatch, keys) = (dispatch.clone(), keys.clone());
            async move {
                let (task, taken) = batch(&dispatch, &keys);
                for _ in 0..20 {
                    keys.fetch_add(1, Ordering::SeqCst);
                    HandBack(false).await;
                }
                task.await.expect("batch task");
                taken.await.expect("taken")
            }
        };
        let taken = tokio::spawn(dispatch.run(request)).await.expect("request");
        assert_eq!(taken, 20);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_next_level_waits_for_every_batch_of_this_one() {
        let dispatch = Arc::new(Dispatch::default());
        let (fast_done, slow_done) = (oneshot::channel::<()>(), oneshot::channel::<()>());
        let keys = Arc::new(AtomicUsize::new(0));
        let request = {
            let (dispatch, keys) = (dispatch.clone(), keys.clone());
            async move {
                // Two batches of one level: one answers at once, the other
                // later; each answer brings a key of the next level.
                let fast = {
                    let dispatch = dispatch.clone();
                    tokio::spawn(async move {
                        let _running = dispatch.turn().await;
                        let _ = fast_done.0.send(());
                    })
                };
                let slow = {
                    let dispatch = dispatch.clone();
                    tokio::spawn(async move {
                        let _running = dispatch.turn().await;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        let _ = slow_done.0.send(());
                    })
                };
                let next = async {
                    fast_done.1.await.expect("fast");
                    keys.fetch_add(1, Ordering::SeqCst);
                    // The next level's batch starts with the first key.
                    batch(&dispatch, &keys)
                };
                let ((next_task, taken), ()) = tokio::join!(next, async {
                    slow_done.1.await.expect("slow");
                    keys.fetch_add(1, Ordering::SeqCst);
                });
                fast.await.expect("fast task");
                slow.await.expect("slow task");
                next_task.await.expect("next task");
                taken.await.expect("taken")
            }
        };
        let taken = tokio::spawn(dispatch.run(request)).await.expect("request");
        assert_eq!(taken, 2);
    }

    #[tokio::test]
    async fn outside_a_request_a_batch_goes_at_once() {
        let dispatch = Arc::new(Dispatch::default());
        let _running = dispatch.turn().await;
    }

    #[tokio::test]
    async fn a_request_dropped_midway_lets_its_batches_go() {
        let dispatch = Arc::new(Dispatch::default());
        let keys = Arc::new(AtomicUsize::new(0));
        let mut request = Box::pin(dispatch.run(std::future::pending::<()>()));
        let waker = Waker::noop();
        assert!(
            request
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        dispatch.state().polling = true;
        let (task, taken) = batch(&dispatch, &keys);
        drop(request);
        task.await.expect("batch task");
        assert_eq!(taken.await.expect("taken"), 0);
    }
}
