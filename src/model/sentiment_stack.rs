//! The comment's sentiment from the first-stage heads' probabilities and its statements'.
//!
//! The first-stage heads ([`super::heads::sentiment_row`]) are one-vs-rest and
//! class-balanced, and the likeliest wins. That favours the small classes (mixed, neutral),
//! and on a long letter most of their errors are between mixed and one-sided: praise for
//! the surgery beside a complaint about the discharge reads negative, or one polite
//! sentence in a complaint reads mixed. A fixed rule on the statements' readings was
//! measured worse (README, Sentiment). So a second stage learns the choice: multinomial
//! logistic regression, unweighted, on the whole comment's first-stage probabilities,
//! per class the mean, the maximum and the share of its statements' probabilities, the
//! NPS band, the number of statements and, when the heads have the lexical view, its
//! probability of each class for the whole text ([`stack_row`]). A comment of one statement has
//! no statement features; the stage still sets its class from the first-stage
//! probabilities and the NPS band.
//!
//! It learns from out-of-fold first-stage scores of the training comments, and it is kept
//! only when it reads them better out of fold than the first stage alone ([`train`]). On
//! train.csv most of its gain (0.860 → 0.877) is the unweighted choice between the
//! classes; the statement features add the rest on comments of several statements
//! (0.858 → 0.862 there). The lexical view's probabilities add what the pooled embedding
//! averages away ("surkea", "otrevlig"): out of fold on train.csv 0.877 → 0.886, and on dev
//! (model trained on train.csv alone) 0.863 → 0.884, higher in every length bucket and
//! language.

use super::heads::{fold_models, nps_band, LogReg, FOLDS, NPS_BANDS};
use ndarray::{Array2, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

/// The second stage's penalty: a score of features, so the ordinary one.
const L2: f32 = 1e-3;

/// The second stage: multinomial logistic regression over the sentiment classes in the
/// first stage's order (unweighted, so that it keeps the classes' shares: the first
/// stage's one-vs-rest heads are class-balanced and favour the small classes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentStack {
    /// One row of weights per class, the bias last.
    pub weights: Vec<Vec<f32>>,
    /// Out-of-fold accuracy on the labeled training comments: the first stage alone, then
    /// with this one (for `palaute train` and the README).
    pub accuracy: (f64, f64),
}

/// The second stage's input: the whole comment's first-stage probabilities (one per class),
/// then per class the mean and the maximum over its statements and the share of statements
/// where it is the likeliest, the NPS band (one-hot), ln(statements)/3 and the lexical
/// view's probability of each class (none without the view).
pub fn stack_row(
    whole: &[f32],
    statements: &[Vec<f32>],
    nps: Option<u8>,
    lexical: &[f32],
) -> Vec<f32> {
    let k = whole.len();
    let n = statements.len().max(1) as f32;
    let mut row = whole.to_vec();
    for c in 0..k {
        row.push(statements.iter().map(|s| s[c]).sum::<f32>() / n);
    }
    for c in 0..k {
        row.push(statements.iter().map(|s| s[c]).fold(0.0, f32::max));
    }
    let mut share = vec![0f32; k];
    for s in statements {
        if let Some(best) = argmax(s) {
            share[best] += 1.0 / n;
        }
    }
    row.extend(share);
    let band = nps.map(nps_band);
    row.extend((0..NPS_BANDS).map(|b| if band == Some(b) { 1.0 } else { 0.0 }));
    row.push((statements.len().max(1) as f32).ln() / 3.0);
    row.extend_from_slice(lexical);
    row
}

fn argmax(p: &[f32]) -> Option<usize> {
    p.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
}

impl SentimentStack {
    /// The class index the second stage chooses, and its probability; `lexical` as in
    /// [`stack_row`].
    pub fn choose(
        &self,
        whole: &[f32],
        statements: &[Vec<f32>],
        nps: Option<u8>,
        lexical: &[f32],
    ) -> (usize, f32) {
        let row = stack_row(whole, statements, nps, lexical);
        let p = softmax_probs(&self.weights, &row);
        let best = argmax(&p).unwrap_or(0);
        (best, p[best])
    }
}

/// What the second stage learns from.
pub struct StackInput<'a> {
    /// The first-stage sentiment rows of every training comment.
    pub rows: &'a Array2<f32>,
    /// Each comment's class index (None: unlabeled).
    pub labels: &'a [Option<usize>],
    /// The first stage's class count.
    pub classes: usize,
    /// Each comment's statements' first-stage rows (empty for a comment of one).
    pub statements: &'a [Vec<Vec<f32>>],
    pub nps: &'a [Option<u8>],
    /// Each comment's out-of-fold lexical probability of each class (in the same folds as
    /// the first stage's), or empty rows when the heads have no lexical view.
    pub lexical: &'a [Vec<f32>],
}

/// The second stage, or None when there are too few labeled comments or it does not read
/// them better out of fold than the first stage alone.
pub fn train(input: &StackInput) -> Option<SentimentStack> {
    let n = input.rows.nrows();
    let folds: Vec<usize> = (0..n).map(|i| i % FOLDS).collect();
    // First-stage models per class and fold: each comment and its statements are read by
    // models that never saw it.
    let models: Vec<Vec<LogReg>> = (0..input.classes)
        .map(|c| {
            let y: Vec<bool> = input.labels.iter().map(|l| *l == Some(c)).collect();
            fold_models(input.rows, &y, &folds, L2_FIRST)
        })
        .collect();
    let probs = |fold: usize, row: ArrayView1<f32>| -> Vec<f32> {
        models.iter().map(|m| m[fold].prob(row)).collect()
    };
    let items: Vec<usize> = (0..n).filter(|&i| input.labels[i].is_some()).collect();
    if items.len() < MIN_ITEMS {
        return None;
    }
    let mut first_right = 0usize;
    let rows: Vec<Vec<f32>> = items
        .iter()
        .map(|&i| {
            let whole = probs(folds[i], input.rows.row(i));
            first_right += usize::from(argmax(&whole) == input.labels[i]);
            let st: Vec<Vec<f32>> = input.statements[i]
                .iter()
                .map(|s| probs(folds[i], ArrayView1::from(s)))
                .collect();
            let lexical = input.lexical.get(i).map_or(&[][..], Vec::as_slice);
            stack_row(&whole, &st, input.nps[i], lexical)
        })
        .collect();
    let width = rows[0].len();
    let x = Array2::from_shape_fn((rows.len(), width), |(r, j)| rows[r][j]);
    let label = |r: usize| input.labels[items[r]];
    // The second stage's own out-of-fold reading, against the first stage's.
    let folds2: Vec<usize> = (0..items.len()).map(|r| r % FOLDS).collect();
    let y: Vec<usize> = (0..items.len()).map(|r| label(r).unwrap_or(0)).collect();
    let oof: Vec<Vec<Vec<f32>>> = (0..FOLDS)
        .map(|f| {
            let keep: Vec<usize> = (0..items.len()).filter(|&r| folds2[r] != f).collect();
            let yk: Vec<usize> = keep.iter().map(|&r| y[r]).collect();
            train_softmax(&x.select(Axis(0), &keep), &yk, input.classes)
        })
        .collect();
    let second_right = (0..items.len())
        .filter(|&r| argmax(&softmax_probs(&oof[folds2[r]], &rows[r])) == label(r))
        .count();
    let accuracy = (
        first_right as f64 / items.len() as f64,
        second_right as f64 / items.len() as f64,
    );
    if std::env::var_os("PALAUTE_DEBUG_SENTIMENT").is_some() {
        eprintln!(
            "sentiment of {} labeled comments, out of fold: first stage {:.3}, second stage {:.3}",
            items.len(),
            accuracy.0,
            accuracy.1
        );
    }
    if second_right <= first_right {
        return None;
    }
    Some(SentimentStack {
        weights: train_softmax(&x, &y, input.classes),
        accuracy,
    })
}

fn softmax_probs(weights: &[Vec<f32>], row: &[f32]) -> Vec<f32> {
    let z: Vec<f32> = weights
        .iter()
        .map(|w| w.iter().zip(row).map(|(a, b)| a * b).sum::<f32>() + w[row.len()])
        .collect();
    let m = z.iter().copied().fold(f32::MIN, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - m).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// Multinomial logistic regression by Adam on the full batch.
fn train_softmax(x: &Array2<f32>, y: &[usize], classes: usize) -> Vec<Vec<f32>> {
    let (n, d) = x.dim();
    // The bias as a last column of ones.
    let mut xb = Array2::<f32>::ones((n, d + 1));
    xb.slice_mut(ndarray::s![.., ..d]).assign(x);
    let mut t = Array2::<f32>::zeros((n, classes));
    for (i, &c) in y.iter().enumerate() {
        t[[i, c]] = 1.0;
    }
    let mut w = Array2::<f32>::zeros((d + 1, classes));
    let (mut m, mut v) = (w.clone(), w.clone());
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    for step in 1..=EPOCHS {
        let mut p = xb.dot(&w);
        for mut row in p.rows_mut() {
            let mx = row.iter().copied().fold(f32::MIN, f32::max);
            row.mapv_inplace(|z| (z - mx).exp());
            let s = row.sum();
            row /= s;
        }
        let g = xb.t().dot(&(&p - &t)) / n as f32 + &w * L2;
        m = &m * b1 + &g * (1.0 - b1);
        v = &v * b2 + &g.mapv(|x| x * x) * (1.0 - b2);
        let c1 = 1.0 - b1.powi(step as i32);
        let c2 = 1.0 - b2.powi(step as i32);
        w = &w - &((&m / c1) / ((&v / c2).mapv(f32::sqrt) + eps) * LR);
    }
    (0..classes).map(|c| w.column(c).to_vec()).collect()
}

const EPOCHS: usize = 500;
const LR: f32 = 0.05;

/// The first stage's penalty (as its heads are trained).
const L2_FIRST: f32 = super::heads::L2;

/// Fewer labeled comments than this, and there is no second stage.
const MIN_ITEMS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments whose whole text reads like one of their statements: positive (class 2)
    /// and negative (1) ones have two statements of their own kind, mixed ones (0) one of
    /// each, and read whole like either. Only the statements tell mixed apart.
    /// First-stage rows, class labels and each comment's statements' rows.
    type Comments = (Array2<f32>, Vec<Option<usize>>, Vec<Vec<Vec<f32>>>);

    fn mixed_by_statements() -> Comments {
        let mut seed = 7u64;
        let mut noise = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.4
        };
        let pos = [1.0, 0.0, 0.0];
        let neg = [0.0, 1.0, 0.0];
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        let mut statements = Vec::new();
        let row = |v: &[f32; 3], noise: &mut dyn FnMut() -> f32| -> Vec<f32> {
            v.iter().map(|x| x + noise()).collect()
        };
        for i in 0..180 {
            let class = i % 3;
            let (whole, parts) = match class {
                2 => (pos, [pos, pos]),
                1 => (neg, [neg, neg]),
                _ => (if i % 2 == 0 { pos } else { neg }, [pos, neg]),
            };
            rows.push(row(&whole, &mut noise));
            statements.push(parts.iter().map(|p| row(p, &mut noise)).collect());
            labels.push(Some(class));
        }
        let x = Array2::from_shape_fn((rows.len(), 3), |(i, j)| rows[i][j]);
        (x, labels, statements)
    }

    #[test]
    fn the_second_stage_reads_mixed_from_disagreeing_statements() {
        let (x, labels, statements) = mixed_by_statements();
        let nps = vec![None; labels.len()];
        let stack = train(&StackInput {
            rows: &x,
            labels: &labels,
            classes: 3,
            statements: &statements,
            nps: &nps,
            lexical: &[],
        })
        .expect("the statements tell mixed apart, so the second stage is kept");
        assert!(
            stack.accuracy.1 > stack.accuracy.0 + 0.2,
            "{:?}",
            stack.accuracy
        );
        // A comment read positive whole, with a positive and a negative statement.
        let (best, _) = stack.choose(
            &[0.2, 0.1, 0.8],
            &[vec![0.1, 0.1, 0.9], vec![0.2, 0.9, 0.1]],
            None,
            &[],
        );
        assert_eq!(best, 0);
        let (best, _) = stack.choose(
            &[0.2, 0.1, 0.8],
            &[vec![0.1, 0.1, 0.9], vec![0.2, 0.1, 0.9]],
            None,
            &[],
        );
        assert_eq!(best, 2);
    }

    #[test]
    fn no_second_stage_when_the_statements_add_nothing() {
        // Every comment's statements are alike whatever its class: only the whole reading
        // carries the class, and the first stage already has it.
        let (x, labels, mut statements) = mixed_by_statements();
        for s in &mut statements {
            *s = vec![vec![0.5, 0.5, 0.0]; 2];
        }
        let labels: Vec<Option<usize>> = (0..labels.len())
            .map(|i| Some(usize::from(x[[i, 0]] > x[[i, 1]])))
            .collect();
        let nps = vec![None; labels.len()];
        let stack = train(&StackInput {
            rows: &x,
            labels: &labels,
            classes: 2,
            statements: &statements,
            nps: &nps,
            lexical: &[],
        });
        assert!(stack.is_none());
    }

    #[test]
    fn stack_row_summarises_the_statements() {
        let whole = [0.2, 0.7, 0.1];
        let st = vec![vec![0.1, 0.8, 0.1], vec![0.6, 0.2, 0.2]];
        let row = stack_row(&whole, &st, Some(3), &[0.9, 0.05, 0.05]);
        assert_eq!(&row[..3], &whole);
        // mean, max, share of argmax
        assert!((row[3] - 0.35).abs() < 1e-6 && (row[4] - 0.5).abs() < 1e-6);
        assert_eq!(&row[6..9], &[0.6, 0.8, 0.2]);
        assert_eq!(&row[9..12], &[0.5, 0.5, 0.0]);
        // NPS 3 is the first band
        assert_eq!(&row[12..16], &[1.0, 0.0, 0.0, 0.0]);
        assert!((row[16] - 2f32.ln() / 3.0).abs() < 1e-6);
        assert_eq!(&row[17..], &[0.9, 0.05, 0.05]);
    }
}
