"""Writes a torchvision network with seeded random weights (batch-norm statistics randomised too, so folding them is
tested) as a safetensors file, a seeded input and torchvision's own logits for it: the independent oracle for the
built-in graph architectures. With FORMATS (comma-separated: safetensors, onnx; default safetensors) the network is
also written as model.onnx by torch.onnx.export (opset 13, eval mode: batch norms after convs folded, the others
kept), the real exporter for the ONNX importer. Usage: torchvision_oracle.py ARCH SIZE SEED OUT_DIR [FORMATS]"""
import json
import struct
import sys

import torch
import torchvision

arch, size, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
formats = sys.argv[5].split(',') if len(sys.argv) > 5 else ['safetensors']
torch.manual_seed(seed)
builders = {
    'googlenet': lambda: torchvision.models.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=True),
}
model = builders.get(arch, lambda: getattr(torchvision.models, arch)(weights=None))()
with torch.no_grad():
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.5, 0.5)
        elif isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)) and module.bias is not None:
            module.bias.uniform_(-0.1, 0.1)
model.eval()
x = torch.rand(1, 3, size, size) * 2 - 1
with torch.no_grad():
    logits = model(x)

if 'onnx' in formats:
    torch.onnx.export(model, x, f'{out}/model.onnx', opset_version=13, input_names=['image'], output_names=['logits'])

state = {k: v.contiguous().float().numpy() for k, v in model.state_dict().items() if v.dtype.is_floating_point}
header, offset, blobs = {}, 0, []
for name, array in state.items():
    data = array.tobytes()
    header[name] = {'dtype': 'F32', 'shape': list(array.shape), 'data_offsets': [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
text = json.dumps(header).encode()
text += b' ' * ((8 - len(text) % 8) % 8)
if 'safetensors' in formats:
    with open(f'{out}/model.safetensors', 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
x.numpy().astype('<f4').tofile(f'{out}/input.bin')
logits.numpy().astype('<f4').tofile(f'{out}/logits.bin')
