"""API routes of the training app (mounted under /api/)."""

from qms.api.routers import Router

from . import api

router = Router()
# Collections under training/ first: their names are not numeric ids, so they never clash with training/{id}.
router.register("training/assignments", api.AssignmentViewSet, basename="training-assignment")
router.register("training/completions", api.CompletionViewSet, basename="training-completion")
router.register("training/registrations", api.RegistrationViewSet, basename="training-registration")
router.register("training", api.TrainingProgramViewSet, basename="training")

urlpatterns = router.urls
