// The affine map of a linear layer, y = x·Wᵀ + b, as one product with the bias fused in.
#pragma once

#include <torch/torch.h>

namespace tinynmt {

/// x [..., in], weight [out, in], bias [out] or undefined -> [..., out]. A contiguous x of more
/// than 2 dims is multiplied as its [N, in] view by one addmm, the bias added inside the product
/// (LibTorch 2.x's linear does this; 1.13's runs matmul and then a separate bias pass over the
/// output). Anything else goes to torch::linear. Throws what torch::linear throws on mismatched
/// sizes.
inline torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias) {
  if (x.dim() <= 2 || !bias.defined() || !x.is_contiguous() || x.size(-1) != weight.size(1))
    return torch::linear(x, weight, bias);
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return torch::addmm(bias, x.view({-1, x.size(-1)}), weight.t()).view(sizes);  // [..., out]
}

}  // namespace tinynmt
