//! Autograd's gradients of the blog's loss agree with finite differences (in float64).

use tch::{nn, Device, Kind, Tensor};
use vanilla_rnn::model::loss::{batch_loss, LossKind};
use vanilla_rnn::model::{Activation, RNN};

fn check(loss_kind: LossKind, activation: Activation) {
    let mut vs = nn::VarStore::new(Device::Cpu);
    let mut rnn = RNN::new(&vs.root(), 2, 5, activation);
    rnn.init_like_pytorch(3);
    vs.set_kind(Kind::Double);
    let (inputs, targets) = vanilla_rnn::seeded(11, || {
        (Tensor::randn([3, 4, 2], (Kind::Double, Device::Cpu)), Tensor::randn([3, 2], (Kind::Double, Device::Cpu)) * 0.5)
    });
    let loss = batch_loss(&rnn, &inputs, &targets, loss_kind);
    loss.backward();
    let eps = 1e-6;
    let loss_at = || tch::no_grad(|| f64::try_from(batch_loss(&rnn, &inputs, &targets, loss_kind)).unwrap());
    for (name, p) in rnn.named_parameters() {
        let grad: Vec<f64> = Vec::try_from(p.grad().flatten(0, -1)).unwrap();
        let flat = p.view([-1]);
        for (i, g) in grad.iter().enumerate() {
            let mut e = flat.get(i as i64);
            let original = f64::try_from(&e).unwrap();
            let _ = tch::no_grad(|| e.fill_(original + eps));
            let up = loss_at();
            let _ = tch::no_grad(|| e.fill_(original - eps));
            let down = loss_at();
            let _ = tch::no_grad(|| e.fill_(original));
            let fd = (up - down) / (2.0 * eps);
            assert!(
                (fd - g).abs() <= 1e-6 * g.abs().max(1e-3),
                "{loss_kind:?} {activation:?} {name}[{i}]: autograd {g} vs finite difference {fd}"
            );
        }
    }
}

#[test]
fn gradients_of_the_last_step_loss_match_finite_differences() {
    check(LossKind::Last, Activation::Tanh);
}

#[test]
fn gradients_of_the_every_step_loss_match_finite_differences() {
    check(LossKind::All, Activation::Tanh);
}

#[test]
fn gradients_with_relu_match_finite_differences() {
    check(LossKind::Last, Activation::Relu);
}
