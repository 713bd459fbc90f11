"""Grad-CAM's independent oracle: torchvision_oracle.py's seeded network and input (written the same way, run here
first), then torch autograd's gradient of the top class's logit with respect to the outputs of the named modules,
each module's output, its Grad-CAM map (ReLU of the gradient's spatial mean times the output, summed over channels)
and CAM from the fc layer's weights of that class over the last named module's output.
Usage: torch_gradcam_oracle.py ARCH SIZE SEED OUT_DIR MODULE[,MODULE...]"""
import os
import runpy
import sys

import torch

arch, size, seed, out, modules = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(',')
sys.argv = [sys.argv[0], arch, size, seed, out]
oracle = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torchvision_oracle.py'), run_name='__main__')
model, x = oracle['model'], oracle['x']

outputs = {}
for name in modules:
    model.get_submodule(name).register_forward_hook(lambda _m, _i, o, name=name: outputs.__setitem__(name, o))
logits = model(x)
for o in outputs.values():
    o.retain_grad()
target = int(logits[0].argmax())
logits[0, target].backward()


def write(name, tensor):
    tensor.detach().contiguous().numpy().astype('<f4').tofile(f'{out}/{name}.bin')


with open(f'{out}/target.txt', 'w') as f:
    f.write(str(target))
for name in modules:
    a, g = outputs[name][0], outputs[name].grad[0]
    write(f'activation-{name}', a)
    write(f'gradient-{name}', g)
    write(f'gradcam-{name}', torch.relu((g.mean(dim=(1, 2))[:, None, None] * a).sum(0)))
last = outputs[modules[-1]][0]
write('cam', torch.relu((model.fc.weight[target][:, None, None] * last).sum(0)))
