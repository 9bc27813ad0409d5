// Neural Art: RandVGG-S feature network, losses, the stylization problem.
