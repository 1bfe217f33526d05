// Replaced as the target is written.
print("glm-wan: not built yet")
