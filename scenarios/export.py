"""stub"""

def export(store, out=None):
    raise NotImplementedError
