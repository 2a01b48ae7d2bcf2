"""svemath.vision: the CLIP tower (open_clip), GeoGLIP (timm backbone, FPN, mixture, four heads) and the
feature router that fuses GeoGLIP's levels with CLIP tokens."""
